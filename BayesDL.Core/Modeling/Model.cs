using BayesDL.Engine;
using BayesDL.Transforms;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Modeling;

/// <summary>
/// A Bayesian model with named parameters: a body that declares, through a <see cref="ModelContext"/>, parameters with
/// priors and constraints, observed likelihoods and deterministic quantities, plus the data it reads. The one model object
/// of BayesDL's model API: the C# delegate form (<see cref="Create"/>) and the F# <c>probModel { }</c> expression both make
/// one, and inference methods take it. Running the body once at the unconstrained origin (on creation) finds the
/// parameters, their shapes and constraints, and lays their unconstrained coordinates out in one flat vector of length
/// <see cref="Dimension"/>. The body must declare the same names with the same shapes every time it runs.
/// <para>
/// <see cref="LogDensity"/> is the joint density on the unconstrained space, for a batch of chains:
/// log p~(x) = sum_sites log p(.) + sum_parameters log |det d theta / dx|, x [C, P] -&gt; [C], differentiable in x.
/// <see cref="Constrain"/> turns positions into named values on the constrained scale, <see cref="Unconstrain"/> named
/// values into positions. Data tensors are the caller's (not owned).
/// </para>
/// </summary>
public sealed class Model
{
    readonly Action<ModelContext> _body;
    readonly Dictionary<string, ModelParameter> _byName = new();

    Model(string name, Action<ModelContext> body, IReadOnlyDictionary<string, Tensor> data, ComputePolicy policy)
    {
        Name = name;
        _body = body;
        DataTable = data;
        Policy = policy;
    }

    /// <summary>
    /// Builds a model from its <paramref name="body"/> (a delegate over the <see cref="ModelContext"/>) and the data it
    /// reads with <see cref="ModelContext.Data"/>. <paramref name="policy"/>: device and dtype of the parameters
    /// (default float64 on the CPU: energy errors in HMC are small differences). Errors in the body (a name used twice,
    /// a prior whose shape is not the parameter's, an observation whose shape is not the data's, a missing data key) are
    /// thrown here, naming the site.
    /// </summary>
    public static Model Create(string name, Action<ModelContext> body,
        IReadOnlyDictionary<string, Tensor>? data = null, ComputePolicy? policy = null)
    {
        Check.Argument(!string.IsNullOrWhiteSpace(name), nameof(Model), nameof(name),
            name is null ? "null" : $"'{name}'", "a non-empty name");
        Check.Argument(body is not null, nameof(Model), nameof(body), "null", "the model's body, a delegate over its ModelContext");
        var model = new Model(name!, body!, data ?? new Dictionary<string, Tensor>(), policy ?? ComputePolicy.Cpu.Float64());
        using var scope = NewDisposeScope();
        var context = new ModelContext(model, ModelContext.Pass.Discover, 1);
        model.Run(context);
        Check.Argument(context.Discovered.Count > 0, $"{nameof(Model)} '{name}'", "parameters", "none", "at least one Sample",
            "Declare the unknowns with Sample; a model without parameters has nothing to infer.");
        model.Parameters = context.Discovered;
        foreach (ModelParameter p in context.Discovered) model._byName[p.Name] = p;
        model.Observed = context.ObservedNames;
        model.DeterministicNames = context.DeterministicNames;
        model.Dimension = context.Discovered.Sum(p => p.Length);
        return model;
    }

    /// <summary>A label used in messages.</summary>
    public string Name { get; }

    /// <summary>Device and dtype of positions and parameter values.</summary>
    public ComputePolicy Policy { get; }

    /// <summary>The parameters in the order the body declares them, with their place in the flat unconstrained vector.</summary>
    public IReadOnlyList<ModelParameter> Parameters { get; private set; } = Array.Empty<ModelParameter>();

    /// <summary>The names of the observed sites.</summary>
    public IReadOnlyList<string> Observed { get; private set; } = Array.Empty<string>();

    /// <summary>The names of the deterministic quantities.</summary>
    public IReadOnlyList<string> DeterministicNames { get; private set; } = Array.Empty<string>();

    /// <summary>P, the length of the flat unconstrained vector.</summary>
    public int Dimension { get; private set; }

    internal IReadOnlyDictionary<string, Tensor> DataTable { get; }

    /// <summary>The joint log density on the unconstrained space at each row of <paramref name="positions"/> [C, P]: [C].</summary>
    public Tensor LogDensity(Tensor positions)
    {
        CheckPositions(positions);
        using var scope = NewDisposeScope();
        var context = new ModelContext(this, ModelContext.Pass.Evaluate, (int)positions.size(0), positions);
        Run(context);
        return context.LogDensity.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="LogDensity"/> at each row of <paramref name="positions"/> [C, P] and its gradient with respect to the positions,
    /// ([C], [C, P]), neither attached to a graph: what the samplers use. Closed-form partial derivatives where the model's
    /// distributions and bijectors have them (Normal, HalfNormal and HalfCauchy; the identity and exp), autograd only through
    /// the operations the body records itself (a location X beta, a <see cref="ModelContext.Factor"/>, other distributions and
    /// bijectors), seeded with those partials. The same numbers as autograd through <see cref="LogDensity"/> up to rounding,
    /// at a fraction of the cost on small models.
    /// </summary>
    public (Tensor LogDensity, Tensor Gradient) LogDensityAndGradient(Tensor positions)
    {
        CheckPositions(positions);
        using var gradMode = enable_grad();
        using var scope = NewDisposeScope();
        int chains = (int)positions.size(0);
        var gradients = new DensityGradient();
        var context = new ModelContext(this, ModelContext.Pass.Evaluate, chains, positions.requires_grad ? positions.detach() : positions)
        {
            Gradients = gradients,
        };
        Run(context);
        Tensor value = context.LogDensity, gradient = gradients.Gradient(chains); // both computed from detached tensors
        return (value.MoveToOuterDisposeScope(), gradient.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The named values at each row of <paramref name="positions"/> [C, P], on the constrained scale: every parameter
    /// ([C] for a scalar, [C] ++ shape otherwise) and every deterministic quantity. Computed without gradients.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Constrain(Tensor positions)
    {
        CheckPositions(positions);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var context = new ModelContext(this, ModelContext.Pass.Evaluate, (int)positions.size(0), positions) { KeepValues = true };
        Run(context);
        return context.Values.ToDictionary(kv => kv.Key, kv => kv.Value.detach().MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Positions [<paramref name="chains"/>, P] from named values on the constrained scale (each of the parameter's shape,
    /// shared by all chains, or with the chain dimension in front); a parameter left out starts at the unconstrained
    /// origin. A value outside its constraint, or a name that is not a parameter, is an error naming it.
    /// </summary>
    public Tensor Unconstrain(IReadOnlyDictionary<string, Tensor> values, int chains = 1)
    {
        Check.Argument(values is not null, $"{nameof(Model)} '{Name}'", nameof(values), "null", "a dictionary of parameter values");
        Check.Positive(chains, $"{nameof(Model)} '{Name}'", nameof(chains));
        foreach (string key in values!.Keys)
            Check.Argument(_byName.ContainsKey(key), $"{nameof(Model)} '{Name}'", $"'{key}'", $"'{key}', which is not a parameter",
                $"one of {string.Join(", ", Parameters.Select(p => $"'{p.Name}'"))}", "Give initial values for sampled parameters only.");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var context = new ModelContext(this, ModelContext.Pass.Unconstrain, chains, given: values);
        Run(context);
        return cat(context.UnconstrainedParts, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The first site (parameter or observation) whose log-density term is NaN or infinite at <paramref name="positions"/>,
    /// or null when the density is finite there: the name a start-up error reports.
    /// </summary>
    public string? NonFiniteSite(Tensor positions)
    {
        CheckPositions(positions);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var context = new ModelContext(this, ModelContext.Pass.Evaluate, (int)positions.size(0), positions) { Diagnose = true };
        Run(context);
        return context.FirstNonFinite;
    }

    /// <summary>
    /// Runs the body. A distribution that rejects its parameters while the body builds it (before the site that uses it
    /// is reached) is reported with the model's name and the last site the body completed.
    /// </summary>
    void Run(ModelContext context)
    {
        try { _body(context); }
        catch (ArgumentException e) when (!e.Message.StartsWith($"{nameof(Model)} '{Name}'"))
        {
            string where = context.LastSite is null ? "before its first site" : $"after '{context.LastSite}'";
            throw new ArgumentException($"{nameof(Model)} '{Name}', {where}: {e.Message}", e.ParamName, e);
        }
    }

    /// <summary>The parameter <paramref name="name"/> as discovered; an error when the body's structure has changed.</summary>
    internal ModelParameter Site(string name, long[] shape, Constraint constraint)
    {
        bool same = _byName.TryGetValue(name, out ModelParameter? p) && p.Shape.SequenceEqual(shape) && p.Constraint == constraint.Name;
        if (!same)
            throw Check.Error($"{nameof(Model)} '{Name}'", $"'{name}'",
                p is null ? "a parameter that the first run of the body did not declare"
                : $"shape {Validation.Check.Shape(shape)} and {constraint.Name}, first declared as {p}",
                "the same parameters, shapes and constraints on every run of the body",
                "Declare every parameter unconditionally, with a fixed shape.");
        return p!;
    }

    void CheckPositions(Tensor positions)
    {
        // Called on every evaluation: the message is built only when it is needed.
        if (positions is null || positions.dim() != 2 || positions.size(1) != Dimension)
            throw Check.Error($"{nameof(Model)} '{Name}'", nameof(positions),
                positions is null ? "null" : $"shape {Validation.Check.Shape(positions.shape)}", $"[chains, {Dimension}]");
    }

    /// <summary>"Model 'eight schools': mu, tau, theta_tilde".</summary>
    public override string ToString() => $"Model '{Name}': {string.Join(", ", Parameters)}";
}
