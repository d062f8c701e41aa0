using BayesDL.Distributions;
using BayesDL.Engine;
using BayesDL.Transforms;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Modeling;

/// <summary>
/// What a model's body receives: it declares parameters (<see cref="Sample(string, Distribution, long[], Constraint)"/>),
/// observations (<see cref="Observe"/>) and named derived quantities (<see cref="Deterministic"/>), and reads data
/// (<see cref="Data"/>). The body runs for all chains at once: every parameter value has a leading chain dimension,
/// [chains] ++ shape, and a scalar parameter comes as [chains, 1] so that it broadcasts against vectors of observations
/// and parameters (mu + tau * theta with mu, tau [C, 1] and theta [C, 8] gives [C, 8]). Data has no chain dimension.
/// Each call adds its term to the joint log density on the unconstrained space:
/// log p(y | theta) + log p(theta) + log |det d theta / dx| with theta = f(x), one value per chain.
/// </summary>
public sealed class ModelContext
{
    internal enum Pass { Discover, Evaluate, Unconstrain }

    readonly Model _model;
    readonly Pass _pass;
    readonly Tensor? _positions;
    readonly IReadOnlyDictionary<string, Tensor>? _given;
    readonly HashSet<string> _names = new();
    int _offset;

    internal ModelContext(Model model, Pass pass, int chains, Tensor? positions = null, IReadOnlyDictionary<string, Tensor>? given = null)
    {
        _model = model;
        _pass = pass;
        Chains = chains;
        _positions = positions;
        _given = given;
    }

    /// <summary>C, the number of chains (or draws) evaluated together: the leading dimension of every parameter value.</summary>
    public int Chains { get; }

    /// <summary>
    /// The model's device and dtype (float64 by default): pass it to the scalar factories, <c>Dist.Normal(0, 5, m.Policy)</c>,
    /// whose default policy is float32.
    /// </summary>
    public ComputePolicy Policy => _model.Policy;

    internal List<ModelParameter> Discovered { get; } = new();
    internal List<string> ObservedNames { get; } = new();
    internal List<string> DeterministicNames { get; } = new();
    internal Dictionary<string, Tensor> Values { get; } = new();
    internal List<Tensor> UnconstrainedParts { get; } = new();
    /// <summary>
    /// The sum of the terms added so far, [chains]. Terms are kept as [chains, k] columns (<see cref="Add"/>) and reduced by one
    /// concatenation and one sum: on a small model a gradient's cost is a fixed cost per recorded operation, and this records
    /// two for the whole density where a sum per site and a stack recorded one per site more.
    /// </summary>
    internal Tensor LogDensity => _terms.Count switch
    {
        0 => zeros(Chains, dtype: _model.Policy.Dtype, device: _model.Policy.Device),
        1 => _terms[0].size(1) == 1 ? _terms[0].squeeze(1) : _terms[0].sum(1L),
        _ => cat(_terms, 1).sum(1L), // 1L: a bare int converts to ScalarType.Byte and would pick sum(dtype)
    };

    /// <summary>A term with more columns than this is summed on its own before the concatenation, so that a likelihood over
    /// many observations is not copied (the concatenation would cost as much as the sum it saves).</summary>
    const long ColumnsKeptWhole = 1024;

    /// <summary>True for the evaluation behind <see cref="Model.Constrain"/>, the one that reports named values: the density's
    /// evaluations skip reshaping scalar parameters' values for the report.</summary>
    internal bool KeepValues { get; init; }

    readonly List<Tensor> _terms = new();
    internal bool Diagnose { get; init; }

    /// <summary>Set for the evaluation behind <see cref="Model.LogDensityAndGradient"/>: the terms are computed without a graph
    /// and their gradient is assembled here.</summary>
    internal DensityGradient? Gradients { get; init; }
    internal string? FirstNonFinite { get; private set; }
    internal string? LastSite { get; private set; }

    string Who => $"{nameof(Model)} '{_model.Name}'";

    /// <summary>
    /// The data tensor stored under <paramref name="key"/> (given to <see cref="Model.Create"/>); a missing key is an error
    /// naming it and the keys there are.
    /// </summary>
    public Tensor Data(string key)
    {
        if (_model.DataTable.TryGetValue(key, out Tensor? value)) return value;
        string keys = _model.DataTable.Count == 0 ? "no data at all" : "keys " +
            string.Join(", ", _model.DataTable.Keys.Select(k => $"'{k}'"));
        throw Check.Error(Who, $"data '{key}'", $"missing (the data has {keys})", "present in the data",
            $"Pass a tensor under \"{key}\" in the data of Model.Create.");
    }

    /// <summary>
    /// A parameter named <paramref name="name"/> with prior <paramref name="prior"/>: returns its value on the constrained
    /// scale, [chains] ++ <paramref name="shape"/> ([chains, 1] for a scalar). <paramref name="shape"/>: the shape of one
    /// value (default: a scalar); the prior must have that batch ++ event shape, or broadcast to it.
    /// <paramref name="constraint"/>: the set it lies in; default the prior's support (Positive for HalfCauchy, Gamma, ...;
    /// Uniform's own bounds, which may be other parameters' values; Simplex for Dirichlet).
    /// </summary>
    public Tensor Sample(string name, Distribution prior, long[]? shape = null, Constraint? constraint = null)
    {
        ClaimName(name, nameof(Sample));
        if (prior is null) throw Check.Error(Who, $"prior of '{name}'", "null", "a distribution",
            "Pass a prior, or use Sample(name, constraint) for a flat one.");
        constraint ??= DefaultConstraint.For(prior!, name);
        Tensor y = Place(name, shape ?? Array.Empty<long>(), constraint);
        Tensor lp = Site(name, "prior", () => Gradients is null ? prior!.LogProb(y) : Gradients.LogProb(prior!, y));
        long[] valueShape = TensorShape.Of(y);
        if (!TensorShape.Is(lp, valueShape.AsSpan(0, valueShape.Length - prior!.EventShape.Length)))
            throw Check.Error(Who, $"prior of '{name}'",
                $"a {prior.Name} with batch shape {Show(prior.BatchShape)} and event shape {Show(prior.EventShape)}, whose log density " +
                $"has shape {Show(lp.shape)} for the value's {Show(y.shape)}",
                $"one log density per element of '{name}' (declared shape {Show(shape ?? Array.Empty<long>())}, " +
                "one value per chain in front)",
                "Declare the parameter's shape (the shape argument of Sample), or give the prior parameters of that shape.");
        Add(name, lp);
        return y;
    }

    /// <summary>A parameter with a flat (improper uniform) prior on the constrained scale, as Stan's parameters without a
    /// prior statement.</summary>
    public Tensor Sample(string name, Constraint constraint, long[]? shape = null)
    {
        ClaimName(name, nameof(Sample));
        if (constraint is null) throw Check.Error(Who, $"constraint of '{name}'", "null", "a constraint",
            "Pass Constraint.Real for an unbounded parameter.");
        return Place(name, shape ?? Array.Empty<long>(), constraint!);
    }

    /// <summary>
    /// The observation <paramref name="data"/> (no chain dimension) under <paramref name="likelihood"/> (whose parameters
    /// may carry the chain dimension): adds log p(data | parameters), summed over the observations. Observations are
    /// vectorised: a likelihood with batch shape [chains, N] (or [chains, 1], or [N]) scores N observations at once.
    /// </summary>
    public void Observe(string name, Distribution likelihood, Tensor data)
    {
        ClaimName(name, nameof(Observe));
        if (likelihood is null || data is null) throw Check.Error(Who, $"'{name}'", likelihood is null ? "a null likelihood" : "null data",
            "a likelihood and its data", null);
        Tensor lp = Site(name, "likelihood", () => Gradients is null ? likelihood!.LogProb(data!) : Gradients.LogProb(likelihood!, data!));
        long[] dataShape = TensorShape.Of(data!);
        long[] batch = dataShape[..(dataShape.Length - likelihood!.EventShape.Length)];
        if (TensorShape.Is(lp, [Chains, .. batch]))
            Add(name, lp);
        else if (TensorShape.Is(lp, batch))
            Add(name, lp.sum().expand(Chains, 1));
        else
            throw Check.Error(Who, $"observation '{name}'",
                $"a {likelihood.Name} with batch shape {Show(likelihood.BatchShape)} for data of shape {Show(data.shape)} (log " +
                $"density of shape {Show(lp.shape)})",
                $"one log density per observation, of shape {Show(batch)} or [chains] ++ {Show(batch)}",
                "Give the likelihood one parameter per observation (or one per chain, [chains, 1]), matching the data's shape.");
        if (_pass == Pass.Discover) ObservedNames.Add(name);
    }

    /// <summary>
    /// Adds an arbitrary term to the log density (Stan's <c>target +=</c>, Pyro's <c>factor</c>): <paramref name="logDensity"/> has the
    /// chain dimension first, [chains] or [chains, ...] (summed per chain). For likelihoods no distribution expresses, such as a
    /// mixture written with log-sum-exp.
    /// </summary>
    public void Factor(string name, Tensor logDensity)
    {
        ClaimName(name, nameof(Factor));
        if (logDensity is null || logDensity.dim() < 1 || logDensity.shape[0] != Chains) throw Check.Error(Who, $"factor '{name}'",
            logDensity is null ? "null" : $"shape {Show(logDensity.shape)}", $"a log density with the chain dimension {Chains} first",
            "Compute it from parameter values (which carry the chain dimension).");
        Add(name, Gradients is null ? logDensity! : Gradients.Recorded(logDensity!));
    }

    /// <summary>
    /// The linear predictor eta = a + beta X^T, [chains, N]: <paramref name="coefficients"/> beta [chains, D] (a parameter's
    /// value) on the design matrix <paramref name="design"/> X [N, D] (data, one row per observation), plus an optional
    /// <paramref name="intercept"/> a that broadcasts against [chains, N] (a scalar parameter's [chains, 1] value). The mean of
    /// a linear regression, the logits of a logistic one. The same numbers as <c>addmm(a, beta, X.T)</c>; the samplers' gradient
    /// (<see cref="Model.LogDensityAndGradient"/>) takes it in closed form, d/d beta = g X and d/d a = g summed, without
    /// recording it for autograd, when beta and a are parameters' values (the saving of Stan's <c>normal_id_glm</c>).
    /// </summary>
    public Tensor LinearPredictor(Tensor coefficients, Tensor design, Tensor? intercept = null)
    {
        if (coefficients is null || coefficients.dim() != 2 || coefficients.size(0) != Chains)
            throw Check.Error(Who, "coefficients of a linear predictor",
                coefficients is null ? "null" : $"shape {Show(coefficients.shape)}", $"[chains, D] = [{Chains}, D]",
                "Pass a vector parameter's value, Sample(name, prior, [D]).");
        long d = coefficients.size(1);
        if (design is null || design.dim() != 2 || design.size(1) != d)
            throw Check.Error(Who, "design of a linear predictor", design is null ? "null" : $"shape {Show(design.shape)}",
                $"[N, {d}]: one row per observation, one column per coefficient", "Transpose it if its rows are the predictors.");
        long[] eta = [Chains, design.size(0)];
        if (intercept is not null && Distribution.BroadcastShapes(TensorShape.Of(intercept), eta)?.SequenceEqual(eta) != true)
            throw Check.Error(Who, "intercept of a linear predictor", $"shape {Show(intercept!.shape)}",
                $"a shape that broadcasts against {Show(eta)}, e.g. a scalar parameter's [{Chains}, 1]", null);
        return Gradients?.LinearPredictor(coefficients, design, intercept)
            ?? (intercept is null ? coefficients.matmul(design.T) : addmm(intercept, coefficients, design.T, beta: 1, alpha: 1));
    }

    /// <summary>A named quantity computed from the parameters, reported with them (Stan's transformed parameters); returns
    /// <paramref name="value"/>.</summary>
    public Tensor Deterministic(string name, Tensor value)
    {
        ClaimName(name, nameof(Deterministic));
        if (value is null || value.dim() < 1 || value.shape[0] != Chains) throw Check.Error(Who, $"deterministic '{name}'",
            value is null ? "null" : $"shape {Show(value.shape)}", $"a tensor with the chain dimension {Chains} first",
            "Compute it from parameter values (which carry the chain dimension).");
        Values[name] = value!;
        if (_pass == Pass.Discover) DeterministicNames.Add(name);
        return value!;
    }

    void ClaimName(string name, string what)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw Check.Error(Who, "name", name is null ? "null" : $"'{name}'", $"a non-empty name for {what}");
        if (!_names.Add(name!)) throw Check.Error(Who, $"'{name}'", $"the name '{name}' used twice",
            "unique names for parameters, observations and deterministic quantities",
            $"Rename one of them; {what} '{name}' repeats an earlier name.");
    }

    /// <summary>The constrained value of a parameter, [C] ++ value shape, its log-det-Jacobian added to the density.</summary>
    Tensor Place(string name, long[] shape, Constraint constraint)
    {
        Bijector bijector = constraint.Bijector;
        int rank = constraint.EventRank;
        if (shape.Length < rank || shape.Any(s => s <= 0)) throw Check.Error(Who, $"shape of '{name}'", Show(shape),
            rank == 0 ? "positive dimensions" : $"at least {rank} dimension{(rank == 1 ? "" : "s")} for the {constraint.Name} constraint",
            rank == 0 ? null : $"Declare the shape, e.g. [{string.Join(", ", Enumerable.Repeat("K", rank))}].");
        long[] valueShape = shape.Length == 0 ? new long[] { 1 } : shape;
        long[] xShape = valueShape[..(valueShape.Length - rank)].Concat(rank == 0 ? Array.Empty<long>()
            : bijector.InverseShape(valueShape[^rank..])).ToArray();
        long[] chainX = new long[] { Chains }.Concat(xShape).ToArray();
        long length = xShape.Aggregate(1L, (a, b) => a * b);
        ComputePolicy policy = _model.Policy;
        Tensor x;
        switch (_pass)
        {
            case Pass.Discover:
                if (length <= 0)
                    throw Check.Error(Who, $"shape of '{name}'", Show(shape), "a shape with at least one free coordinate", null);
                x = zeros(chainX, dtype: policy.Dtype, device: policy.Device);
                Discovered.Add(new ModelParameter(name, shape, constraint.Name, xShape, _offset, (int)length));
                _offset += (int)length;
                break;
            case Pass.Evaluate:
                ModelParameter site = _model.Site(name, shape, constraint);
                x = _positions!.narrow(1, site.Offset, site.Length);
                if (!TensorShape.Is(x, chainX)) x = x.reshape(chainX); // an autograd node only where the shape changes
                break;
            default:
                _model.Site(name, shape, constraint);
                if (_given is not null && _given.TryGetValue(name, out Tensor? value))
                {
                    Tensor y0 = policy.Apply(value);
                    long[] chainY = new long[] { Chains }.Concat(valueShape).ToArray();
                    bool shared = y0.shape.SequenceEqual(shape) || y0.shape.SequenceEqual(valueShape);
                    bool perChain = y0.shape.SequenceEqual(chainY) || (shape.Length == 0 && y0.shape.SequenceEqual(new long[] { Chains }));
                    if (!(shared || perChain)) throw Check.Error(Who, $"initial value of '{name}'", $"shape {Show(y0.shape)}",
                        $"{Show(shape)} (one value for every chain) or " +
                        $"{Show(new long[] { Chains }.Concat(shape).ToArray())} (one per chain)");
                    Tensor y = (shared ? y0.reshape(valueShape).unsqueeze(0).expand(chainY) : y0.reshape(chainY)).clone();
                    constraint.Check(y, Who, $"initial value of '{name}'");
                    x = bijector.Inverse(y);
                    Check.Finite(x, Who, $"initial value of '{name}' on the unconstrained scale");
                }
                else x = zeros(chainX, dtype: policy.Dtype, device: policy.Device);
                UnconstrainedParts.Add(x.reshape(Chains, -1));
                break;
        }
        Tensor result;
        Tensor? logDet = null;
        if (Gradients is null)
        {
            result = bijector.Forward(x);
            if (bijector is not IdentityBijector) logDet = bijector.LogAbsDetJacobian(x); // log |det J| = 0 otherwise
        }
        else (result, logDet) = Gradients.Place(x, bijector);
        long[] expectedY = new long[] { Chains }.Concat(valueShape).ToArray();
        if (!TensorShape.Is(result, expectedY)) throw Check.Error(Who, $"bounds of '{name}'",
            $"a {constraint.Name} constraint giving values of shape {Show(result.shape)}",
            $"values of the parameter's shape {Show(expectedY)} ([chains] ++ shape)",
            "Give the bounds the parameter's shape, [chains, 1], or make them scalars.");
        if (logDet is not null) Add(name, logDet);
        if (KeepValues) Values[name] = shape.Length == 0 ? result.squeeze(1) : result;
        return result;
    }

    Tensor Site(string name, string role, Func<Tensor> logProb)
    {
        try { return logProb(); }
        catch (ArgumentException e) { throw new ArgumentException($"{Who}, {role} of '{name}': {e.Message}", name, e); }
    }

    /// <summary>
    /// Records a term, [chains] ++ anything, as columns [chains, k] whose row sums are the chains' terms: a [chains, k] term as it
    /// is (a scalar site's [chains, 1], a vector site's [chains, K]), a [chains] term as one column, one of more dimensions
    /// flattened, and one wider than <see cref="ColumnsKeptWhole"/> summed to one column.
    /// </summary>
    void Add(string name, Tensor term)
    {
        term = term.dim() switch
        {
            1 => term.unsqueeze(1),
            2 => term,
            _ => term.reshape(Chains, -1),
        };
        if (term.size(1) > ColumnsKeptWhole) term = term.sum(1L, keepdim: true);
        _terms.Add(term);
        LastSite = name;
        if (Diagnose && FirstNonFinite is null && !term.isfinite().all().item<bool>()) FirstNonFinite = name;
    }

    static string Show(long[] shape) => Validation.Check.Shape(shape);
}
