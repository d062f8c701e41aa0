using System.Collections.Concurrent;
using BayesDL.Distributions;
using BayesDL.Engine;
using BayesDL.Modeling;
using BayesDL.Transforms;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Examples;

/// <summary>
/// BayesDL's registry of example models: the eight posteriors of posteriordb (stan-dev/posteriordb) that inference is held to,
/// each written in the model API from its Stan program's density (parameters in Stan's order and names, so summaries compare
/// row by row with the reference). <see cref="Create"/> builds one from its data (keys as in posteriordb's data.json);
/// <see cref="FromPosteriorDb"/> from a folder laid out like posteriordb's. Data derived once (logarithms, lagged
/// values, design matrices) is computed when the model is built, not at every evaluation.
/// </summary>
public static class ExampleModels
{
    /// <summary>A registered posterior: how to build its model, and the target acceptance (Stan's adapt_delta) of
    /// posteriordb's reference run (its reference_posteriors/draws/info file).</summary>
    sealed record Entry(Func<IReadOnlyDictionary<string, Tensor>, ComputePolicy, Model> Build, double TargetAcceptance = 0.8);

    static readonly Dictionary<string, Entry> Registry = new()
    {
        ["eight_schools-eight_schools_noncentered"] = new(EightSchoolsNoncentered, TargetAcceptance: 0.95),
        ["sblrc-blr"] = new(LinearRegression),
        ["kidiq-kidscore_momiq"] = new(KidIQ),
        ["earnings-logearn_height"] = new(Earnings),
        ["mesquite-logmesquite"] = new(Mesquite),
        ["arK-arK"] = new(Autoregressive),
        ["low_dim_gauss_mix-low_dim_gauss_mix"] = new(GaussianMixture),
        ["garch-garch11"] = new(Garch),
    };

    /// <summary>The registered posteriors, by posteriordb's name ("sblrc-blr").</summary>
    public static IReadOnlyList<string> Names => Registry.Keys.ToList();

    /// <summary>True when <paramref name="name"/> is registered.</summary>
    public static bool Contains(string name) => Registry.ContainsKey(name);

    /// <summary>
    /// The target acceptance (Stan's adapt_delta) posteriordb's reference run of <paramref name="name"/> used: 0.95 for the
    /// non-centred eight schools, Stan's default 0.8 for the other seven (posteriordb's reference_posteriors/draws/info files).
    /// Sampling a posterior with its reference's settings (<c>HmcOptions.TargetAcceptance</c>) compares like with like: at
    /// 0.8 the eight schools' funnel gives a rare divergence, in Stan as here, which the reference's 0.95 avoids.
    /// </summary>
    public static double ReferenceTargetAcceptance(string name)
    {
        CheckName(name);
        return Registry[name].TargetAcceptance;
    }

    /// <summary>
    /// The model <paramref name="name"/> on <paramref name="data"/> (float64 tensors by posteriordb's keys); a data key the model
    /// needs but the data lacks is an error naming it. <paramref name="policy"/>: default float64 on the CPU.
    /// </summary>
    public static Model Create(string name, IReadOnlyDictionary<string, Tensor> data, ComputePolicy? policy = null)
    {
        CheckName(name);
        Check.Argument(data is not null, nameof(ExampleModels), nameof(data), "null", "the data by key");
        return Registry[name].Build(data!, policy ?? ComputePolicy.Cpu.Float64());
    }

    static void CheckName(string name) =>
        Check.Argument(name is not null && Registry.ContainsKey(name), nameof(ExampleModels), nameof(name),
            name is null ? "null" : $"'{name}'",
            $"one of {string.Join(", ", Registry.Keys)}", "Add the model to the registry, or pick a registered one.");

    /// <summary>The model of a posteriordb folder (its name is the folder's), on the folder's data.json.</summary>
    public static Model FromPosteriorDb(string folder, ComputePolicy? policy = null)
    {
        policy ??= ComputePolicy.Cpu.Float64();
        return Create(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), PosteriorDbFolder.ReadData(folder, policy), policy);
    }

    static Tensor Need(IReadOnlyDictionary<string, Tensor> data, string model, string key) =>
        data.TryGetValue(key, out Tensor? t) ? t : throw Check.Error($"Model '{model}'", $"data '{key}'",
            $"missing (the data has {(data.Count == 0 ? "no keys" : "keys " + string.Join(", ", data.Keys.Select(k => $"'{k}'")))})",
            "present in the data", $"Pass a tensor under \"{key}\".");

    static Distribution Normal(Tensor loc, Tensor scale) => Dist.Normal(loc, scale);

    static Distribution Normal(double loc, double scale, ModelContext m) => Dist.Normal(Constant(loc, m), Constant(scale, m));

    static Distribution HalfCauchy(double scale, ModelContext m) => Dist.HalfCauchy(Constant(scale, m));

    /// <summary>A prior's scalar parameter, made once per value, dtype and device and shared by every evaluation of every model
    /// here (never modified): made at each evaluation, each would cost about as much as an operation, two per Normal prior.</summary>
    static Tensor Constant(double value, ModelContext m) =>
        Constants.GetOrAdd((value, m.Policy.Dtype, m.Policy.Device.type, m.Policy.Device.index),
            _ => m.Policy.Scalar(value).DetachFromDisposeScope());

    static readonly ConcurrentDictionary<(double, ScalarType, TorchSharp.DeviceType, int), Tensor> Constants = new();

    /// <summary>Eight schools, non-centred: theta = mu + tau theta_trans, theta_trans ~ N(0, 1), mu ~ N(0, 5), tau ~ |C(0, 5)|.</summary>
    static Model EightSchoolsNoncentered(IReadOnlyDictionary<string, Tensor> data, ComputePolicy policy)
    {
        const string name = "eight_schools-eight_schools_noncentered";
        Tensor y = Need(data, name, "y"), sigma = Need(data, name, "sigma");
        return Model.Create(name, m =>
        {
            Tensor thetaTrans = m.Sample("theta_trans", Normal(0, 1, m), [y.shape[0]]);
            Tensor mu = m.Sample("mu", Normal(0, 5, m));
            Tensor tau = m.Sample("tau", HalfCauchy(5, m));
            Tensor theta = m.Deterministic("theta", thetaTrans * tau + mu);
            m.Observe("y", Normal(theta, sigma), y);
        }, data, policy);
    }

    /// <summary>Bayesian linear regression: beta ~ N(0, 10^2 I), sigma ~ N(0, 10) on sigma &gt; 0, y ~ N(X beta, sigma^2).</summary>
    static Model LinearRegression(IReadOnlyDictionary<string, Tensor> data, ComputePolicy policy)
    {
        const string name = "sblrc-blr";
        Tensor x = Need(data, name, "X"), y = Need(data, name, "y");
        return Model.Create(name, m =>
        {
            Tensor beta = m.Sample("beta", Normal(0, 10, m), [x.shape[1]]);
            Tensor sigma = m.Sample("sigma", Normal(0, 10, m), null, Constraint.Positive);
            m.Observe("y", Normal(m.LinearPredictor(beta, x), sigma), y);
        }, data, policy);
    }

    /// <summary>Child's test score on mother's IQ: flat beta, sigma ~ half-Cauchy(2.5).</summary>
    static Model KidIQ(IReadOnlyDictionary<string, Tensor> data, ComputePolicy policy)
    {
        const string name = "kidiq-kidscore_momiq";
        Tensor score = Need(data, name, "kid_score"), iq = Need(data, name, "mom_iq");
        return SimpleRegression(name, data, policy, score, iq, m => HalfCauchy(2.5, m));
    }

    /// <summary>log earnings on height: flat beta and sigma.</summary>
    static Model Earnings(IReadOnlyDictionary<string, Tensor> data, ComputePolicy policy)
    {
        const string name = "earnings-logearn_height";
        Tensor earn = Need(data, name, "earn"), height = Need(data, name, "height");
        return SimpleRegression(name, data, policy, earn.log(), height, null);
    }

    /// <summary>y ~ N(beta_1 + beta_2 x, sigma^2) with flat beta; sigma's prior as given (null: flat on sigma &gt; 0).</summary>
    static Model SimpleRegression(string name, IReadOnlyDictionary<string, Tensor> data, ComputePolicy policy, Tensor y, Tensor x,
        Func<ModelContext, Distribution>? sigmaPrior)
    {
        Tensor design = stack([ones_like(x), x], 1); // [N, 2]
        return Model.Create(name, m =>
        {
            Tensor beta = m.Sample("beta", Constraint.Real, [2]);
            Tensor sigma = sigmaPrior is null ? m.Sample("sigma", Constraint.Positive) : m.Sample("sigma", sigmaPrior(m));
            m.Observe("y", Normal(m.LinearPredictor(beta, design), sigma), y);
        }, data, policy);
    }

    /// <summary>log weight of mesquite bushes on six log predictors and the group: flat beta [7] and sigma.</summary>
    static Model Mesquite(IReadOnlyDictionary<string, Tensor> data, ComputePolicy policy)
    {
        const string name = "mesquite-logmesquite";
        Tensor Log(string key) => Need(data, name, key).log();
        Tensor y = Log("weight");
        Tensor group = Need(data, name, "group");
        Tensor design = stack(
            [ones_like(y), Log("diam1"), Log("diam2"), Log("canopy_height"), Log("total_height"), Log("density"), group], 1);
        return Model.Create(name, m =>
        {
            Tensor beta = m.Sample("beta", Constraint.Real, [7]);
            Tensor sigma = m.Sample("sigma", Constraint.Positive);
            m.Observe("log_weight", Normal(m.LinearPredictor(beta, design), sigma), y);
        }, data, policy);
    }

    /// <summary>
    /// AR(K): y_t ~ N(alpha + sum_k beta_k y_(t-k), sigma^2) for t &gt; K; alpha, beta ~ N(0, 10^2), sigma ~ half-Cauchy(2.5).
    /// </summary>
    static Model Autoregressive(IReadOnlyDictionary<string, Tensor> data, ComputePolicy policy)
    {
        const string name = "arK-arK";
        Tensor y = Need(data, name, "y");
        int k = (int)Need(data, name, "K").item<double>();
        long t = y.shape[0];
        Tensor lags = stack(Enumerable.Range(1, k).Select(j => y.narrow(0, k - j, t - k)).ToArray(), 1); // [T - K, K]: column j is y_(t-j)
        Tensor target = y.narrow(0, k, t - k);
        return Model.Create(name, m =>
        {
            Tensor alpha = m.Sample("alpha", Normal(0, 10, m));
            Tensor beta = m.Sample("beta", Normal(0, 10, m), [k]);
            Tensor sigma = m.Sample("sigma", HalfCauchy(2.5, m));
            m.Observe("y", Normal(m.LinearPredictor(beta, lags, alpha), sigma), target);
        }, data, policy);
    }

    /// <summary>
    /// Two-component normal mixture: y_n ~ theta N(mu_1, sigma_1^2) + (1 - theta) N(mu_2, sigma_2^2) with ordered mu ~ N(0, 2^2),
    /// sigma ~ N(0, 2) on sigma &gt; 0, theta ~ Beta(5, 5); the mixture's log density by log-sum-exp, added as a factor.
    /// </summary>
    static Model GaussianMixture(IReadOnlyDictionary<string, Tensor> data, ComputePolicy policy)
    {
        const string name = "low_dim_gauss_mix-low_dim_gauss_mix";
        Tensor y = Need(data, name, "y").unsqueeze(0).unsqueeze(-1); // [1, N, 1] against components [C, 1, 2]
        return Model.Create(name, m =>
        {
            Tensor mu = m.Sample("mu", Normal(0, 2, m), [2], Constraint.Ordered);
            Tensor sigma = m.Sample("sigma", Normal(0, 2, m), [2], Constraint.Positive);
            Tensor theta = m.Sample("theta", Dist.Beta(5, 5, m.Policy));
            Tensor logWeights = cat([theta.log(), (-theta).log1p()], 1).unsqueeze(1);            // [C, 1, 2]
            Tensor components = Dist.Normal(mu.unsqueeze(1), sigma.unsqueeze(1), validate: false).LogProb(y); // [C, N, 2]
            m.Factor("y", (components + logWeights).logsumexp(2));
        }, data, policy);
    }

    /// <summary>
    /// GARCH(1,1): y_t ~ N(mu, sigma_t^2), sigma_1 given, sigma_t^2 = alpha0 + alpha1 (y_(t-1) - mu)^2 + beta1 sigma_(t-1)^2, with
    /// flat priors on mu, alpha0 &gt; 0, alpha1 in (0, 1) and beta1 in (0, 1 - alpha1) (a bound that depends on alpha1). The linear
    /// recursion is solved in one product, s_t = beta1^(t-1) s_1 + sum_(k=2..t) beta1^(t-k) a_k, instead of T sequential steps.
    /// </summary>
    static Model Garch(IReadOnlyDictionary<string, Tensor> data, ComputePolicy policy)
    {
        const string name = "garch-garch11";
        Tensor y = Need(data, name, "y"), sigma1 = Need(data, name, "sigma1");
        long t = y.shape[0];
        Tensor step = arange(t, dtype: y.dtype, device: y.device);
        Tensor lag = step.unsqueeze(1) - step.narrow(0, 1, t - 1).unsqueeze(0);   // [T, T-1]: t - k for k = 1..T-1 (0-based)
        Tensor mask = lag.ge(0);
        Tensor exponent = lag.clamp_min(0);
        Tensor previous = y.narrow(0, 0, t - 1);
        return Model.Create(name, m =>
        {
            Tensor mu = m.Sample("mu", Constraint.Real);
            Tensor alpha0 = m.Sample("alpha0", Constraint.Positive);
            Tensor alpha1 = m.Sample("alpha1", Constraint.Interval(0.0, 1.0));
            Tensor beta1 = m.Sample("beta1", Constraint.Interval(zeros_like(alpha1), 1 - alpha1));
            Tensor a = alpha0 + alpha1 * (previous - mu).square();                                    // [C, T-1]: a_k, k = 2..T
            Tensor weights = where(mask, beta1.unsqueeze(-1).pow(exponent), zeros_like(exponent));    // [C, T, T-1]
            Tensor variance = beta1.pow(step) * sigma1.square() + weights.matmul(a.unsqueeze(-1)).squeeze(-1);
            m.Observe("y", Normal(mu, variance.sqrt()), y);
        }, data, policy);
    }
}
