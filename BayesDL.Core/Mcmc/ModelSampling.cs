using BayesDL.Distributions;
using BayesDL.Engine;
using BayesDL.Modeling;
using static TorchSharp.torch;

namespace BayesDL.Mcmc;

/// <summary>
/// NUTS and HMC on a <see cref="Model"/>: the samplers run on the unconstrained space, on the model's log density with its
/// log-det-Jacobians, and the draws come back named and on the constrained scale (<see cref="ModelPosterior"/>).
/// Chains start uniformly in [-r, r]^P on the unconstrained space (Stan's default, r = <see cref="HmcOptions.InitRadius"/>)
/// or at given named values. Start-up checks name what is wrong: an initial value outside its constraint, a data key the
/// model lacks, a log density that is not finite at a start (with the first site whose term is not).
/// During sampling the distributions skip their argument checks (<see cref="Distribution.WithoutValidation"/>): a point where a
/// parameter leaves its range (a scale that underflowed to zero on a wild trajectory) has a NaN or infinite log density, which
/// the sampler treats as a divergence, as it does a body that throws there.
/// </summary>
public static class ModelSampling
{
    /// <summary>Runs <see cref="NoUTurnSampler"/> on <paramref name="model"/>; <paramref name="initialValues"/>: named constrained values
    /// (others start at random).</summary>
    public static ModelPosterior Nuts(Model model, HmcOptions? options = null, IReadOnlyDictionary<string, Tensor>? initialValues = null)
    {
        options ??= new HmcOptions();
        var (target, start) = Prepare(nameof(Nuts), model, options, initialValues);
        using (start) return new ModelPosterior(model, NoUTurnSampler.Sample(target, options, start));
    }

    /// <summary>Runs static <see cref="HamiltonianMonteCarlo"/> on <paramref name="model"/>, all chains in one batch.</summary>
    public static ModelPosterior Hmc(Model model, HmcOptions? options = null, IReadOnlyDictionary<string, Tensor>? initialValues = null)
    {
        options ??= new HmcOptions();
        var (target, start) = Prepare(nameof(Hmc), model, options, initialValues);
        using (start) return new ModelPosterior(model, HamiltonianMonteCarlo.Sample(target, options, start));
    }

    static (LogDensity Target, Tensor Start) Prepare(string who, Model model, HmcOptions options,
        IReadOnlyDictionary<string, Tensor>? initialValues)
    {
        Validation.Check.Argument(model is not null, $"{nameof(ModelSampling)}.{who}", nameof(model), "null", "a Model",
            "Build one with Model.Create or probModel { }.");
        options.Validate();
        ComputePolicy policy = model!.Policy;
        NativeEngine.Seed(options.Seed);
        Tensor start;
        using (var scope = NewDisposeScope())
        {
            Tensor random = (rand(options.Chains, model.Dimension, dtype: policy.Dtype, device: policy.Device) * 2
                - 1) * options.InitRadius;
            if (initialValues is not null)
            {
                // Named values replace the random start of their coordinates; the others keep theirs.
                Tensor given = model.Unconstrain(initialValues, options.Chains);
                Tensor mask = zeros(model.Dimension, dtype: ScalarType.Bool, device: policy.Device);
                foreach (ModelParameter p in model.Parameters.Where(p => initialValues.ContainsKey(p.Name)))
                    mask[TensorIndex.Slice(p.Offset, p.Offset + p.Length)] = true;
                random = where(mask, given, random);
            }
            start = random.MoveToOuterDisposeScope();
        }
        CheckStart($"{nameof(ModelSampling)}.{who}", model, start);
        // Checked at the start (CheckStart, with every distribution validating); the thousands of evaluations after it skip the checks.
        // The gradient from the model's closed-form partials (Model.LogDensityAndGradient), not autograd through the density.
        var target = LogDensity.FromBatchedFunction(model.Dimension, x =>
        {
            using (Distribution.WithoutValidation()) return Guarded(model, x);
        }, x =>
        {
            using (Distribution.WithoutValidation()) return GuardedWithGradient(model, x);
        }, policy, model.Name);
        return (target, start);
    }

    /// <summary>
    /// Throws when the log density is not finite at a row of <paramref name="start"/> [C, P], naming the row and the first site
    /// whose term is not (errors the body throws propagate, naming their site): the start-up check of every inference method.
    /// <paramref name="fix"/>: the advice for the site (null: initial values or a smaller InitRadius).
    /// </summary>
    internal static void CheckStart(string who, Model model, Tensor start, Func<string?, string>? fix = null)
    {
        using (var scope = NewDisposeScope())
        {
            double[] lp = AdaptiveSampler.Host(model.LogDensity(start)); // errors in the body propagate here, naming the site
            for (int j = 0; j < lp.Length; j++)
            {
                if (double.IsFinite(lp[j])) continue;
                string? site = model.NonFiniteSite(start.narrow(0, j, 1));
                throw Validation.Check.Error(who, $"model '{model.Name}'",
                    $"log density {lp[j]} at chain {j}'s initial point{(site is null ? "" : $", first in the term of '{site}'")}",
                    "finite at every initial point",
                    fix?.Invoke(site) ?? "Give initial values inside the " +
                    $"support{(site is null ? "" : $" of '{site}'")}, or reduce InitRadius.");
            }
        }
    }

    /// <summary><see cref="Model.LogDensityAndGradient"/>, with -infinity (and a zero gradient) for rows where a distribution
    /// rejects its arguments, as <see cref="Guarded"/>.</summary>
    static (Tensor LogDensity, Tensor Gradient) GuardedWithGradient(Model model, Tensor x)
    {
        try { return model.LogDensityAndGradient(x); }
        catch (ArgumentException)
        {
            var values = new Tensor[x.shape[0]];
            var gradients = new Tensor[values.Length];
            for (int j = 0; j < values.Length; j++)
            {
                Tensor row = x.narrow(0, j, 1);
                try { (values[j], gradients[j]) = model.LogDensityAndGradient(row); }
                catch (ArgumentException)
                {
                    values[j] = full(1, double.NegativeInfinity, dtype: x.dtype, device: x.device);
                    gradients[j] = zeros_like(row);
                }
            }
            return (cat(values), cat(gradients));
        }
    }

    /// <summary>The log density, with -infinity for rows where a distribution rejects its arguments (evaluated row by row then).</summary>
    internal static Tensor Guarded(Model model, Tensor x)
    {
        try { return model.LogDensity(x); }
        catch (ArgumentException)
        {
            var rows = new Tensor[x.shape[0]];
            for (int j = 0; j < rows.Length; j++)
            {
                Tensor row = x.narrow(0, j, 1);
                try { rows[j] = model.LogDensity(row); }
                catch (ArgumentException) { rows[j] = (row * 0).sum(1) + double.NegativeInfinity; }
            }
            return cat(rows);
        }
    }
}
