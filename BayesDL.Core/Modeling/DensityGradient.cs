using BayesDL.Distributions;
using BayesDL.Engine;
using BayesDL.Transforms;
using static TorchSharp.torch;

namespace BayesDL.Modeling;

/// <summary>
/// The gradient of a model's log density with respect to its unconstrained positions, assembled during one run of the body
/// (<see cref="Model.LogDensityAndGradient"/>). Closed-form partial derivatives where the model's parts have them (the
/// distributions' <see cref="Distribution.LogProbWithPartials"/>, element-wise bijectors' <see cref="Bijector.ChainRule"/>,
/// linear predictors, <see cref="ModelContext.LinearPredictor"/>); one reverse pass of autograd for what only the body knows:
/// how it computed a location (mu + tau theta), a <see cref="ModelContext.Factor"/> term, a bound that is another parameter,
/// a distribution without partials. That pass is seeded with the partials at the body's tensors (d log p / d loc at
/// mu + tau theta) instead of running back through each log density's own operations, and is skipped when nothing was
/// recorded. On small models a gradient's cost is a fixed cost per recorded operation, and this records only the body's own
/// (none on a linear regression written with a linear predictor) where autograd through the density records dozens.
/// </summary>
internal sealed class DensityGradient
{
    /// <summary>A parameter's place in the reverse pass: its value y as a leaf (closed-form chain rule), or its unconstrained x
    /// as a leaf with the bijector recorded from it.</summary>
    sealed class Slot(Tensor x, Tensor leaf, Bijector bijector, bool closedForm)
    {
        public Tensor X { get; } = x;
        public Tensor Leaf { get; } = leaf;
        public Bijector Bijector { get; } = bijector;
        public bool ClosedForm { get; } = closedForm;
        /// <summary>The partials of the log density with respect to the leaf y that reached it directly.</summary>
        public Tensor? Adjoint { get; set; }
    }

    /// <summary>A linear predictor eta = a + beta X^T made without a graph: its adjoint reaches beta as adjoint X and a as the
    /// adjoint summed to a's shape, in closed form (<see cref="LinearPredictor"/>).</summary>
    sealed class LinearNode(Tensor eta, Slot coefficients, Tensor design, Slot? intercept)
    {
        public Tensor Eta { get; } = eta;
        public Slot Coefficients { get; } = coefficients;
        public Tensor Design { get; } = design;
        public Slot? Intercept { get; } = intercept;
        public Tensor? Adjoint { get; set; }
    }

    readonly List<Slot> _slots = new();
    readonly List<LinearNode> _linear = new();
    readonly List<Tensor> _outputs = new(), _seeds = new();

    /// <summary>
    /// A parameter's constrained value y = f(<paramref name="x"/>) and log |det dy/dx| (null for the identity), both detached
    /// from x: y is a leaf of the reverse pass when the bijector has a closed-form chain rule, else f and its log-det are
    /// recorded from x as a leaf (the log-det then enters the reverse pass as a term).
    /// </summary>
    internal (Tensor Value, Tensor? LogDet) Place(Tensor x, Bijector bijector)
    {
        if (bijector.HasClosedFormChainRule)
        {
            Tensor y;
            Tensor? logDet = null;
            if (bijector is IdentityBijector) y = x; // x is this evaluation's own view of the positions: no copy needed
            else
            {
                using var noGraph = no_grad();
                y = bijector.Forward(x); // made without a graph, so a leaf
                logDet = bijector.LogAbsDetJacobian(x);
            }
            y.requires_grad_(true);
            _slots.Add(new Slot(x, y, bijector, closedForm: true));
            return (y, logDet);
        }
        Tensor leaf = x.detach().requires_grad_(true);
        _slots.Add(new Slot(x, leaf, bijector, closedForm: false));
        return (bijector.Forward(leaf), Recorded(bijector.LogAbsDetJacobian(leaf)));
    }

    /// <summary>log p(<paramref name="value"/>), detached; its partials seed the reverse pass (or, for a distribution without
    /// them, its recorded log density does).</summary>
    internal Tensor LogProb(Distribution distribution, Tensor value)
    {
        LogProbPartials? partials;
        // Inference mode: its results never enter a recorded operation (they are values, seeds of the reverse pass and
        // inputs of functional operations after it), and libtorch skips a no-graph operation's version counting there
        // (about a tenth of each operation's cost on these small tensors).
        using (inference_mode()) partials = distribution.LogProbWithPartials(value);
        if (partials is null) return Recorded(distribution.LogProb(value));
        foreach (var (input, partial) in partials.Partials) Seed(input, partial);
        return partials.LogProb;
    }

    /// <summary>
    /// a + beta X^T for coefficients [C, D] and a design X [N, D] (a broadcasting against [C, N], or null): made without a
    /// graph, with its gradient in closed form, when beta is a parameter's value with a closed-form chain rule, a is one too or
    /// a constant, and X is data; else null (the caller records the product). The result is a leaf of the reverse pass, so
    /// that operations the body records on it still reach beta and a.
    /// </summary>
    internal Tensor? LinearPredictor(Tensor coefficients, Tensor design, Tensor? intercept)
    {
        Slot? beta = ClosedFormSlot(coefficients), alpha = intercept is null ? null : ClosedFormSlot(intercept);
        if (beta is null || design.requires_grad || (intercept is not null && alpha is null && intercept.requires_grad)) return null;
        Tensor eta;
        using (no_grad())
            eta = intercept is null ? nn.functional.linear(coefficients, design) // beta X^T without a transposed view
                : addmm(intercept, coefficients, design.T, beta: 1, alpha: 1);
        eta.requires_grad_(true);
        _linear.Add(new LinearNode(eta, beta, design, alpha));
        return eta;
    }

    /// <summary>A term the body computed with recorded operations: its value, detached; its gradient comes from the reverse
    /// pass seeded with ones.</summary>
    internal Tensor Recorded(Tensor term)
    {
        if (!term.requires_grad) return term;
        _outputs.Add(term);
        _seeds.Add(ones_like(term));
        return term.detach();
    }

    /// <summary>
    /// The gradient [<paramref name="chains"/>, P]: one reverse pass from the recorded terms and seeded tensors to the leaves,
    /// plus the partials that reached a parameter's value directly, through each closed-form bijector's chain rule.
    /// </summary>
    internal Tensor Gradient(int chains)
    {
        var inputs = _slots.Select(s => s.Leaf).Concat(_linear.Select(n => n.Eta)).ToList();
        IList<Tensor?> fromGraph = _outputs.Count == 0
            ? new Tensor?[inputs.Count]
            : autograd.grad(_outputs, inputs, _seeds, allow_unused: true)!;
        using var noGraph = no_grad();
        for (int j = 0; j < _linear.Count; j++)
        {
            LinearNode node = _linear[j];
            Tensor? adjoint = Total(node.Adjoint, fromGraph[_slots.Count + j]);
            if (adjoint is null) continue;
            Accumulate(node.Coefficients, adjoint.matmul(node.Design)); // d/d beta of sum(adjoint * (beta X^T)) = adjoint X
            if (node.Intercept is not null) Accumulate(node.Intercept, SumToShape(adjoint, node.Intercept.Leaf));
        }
        var parts = new Tensor[_slots.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            Slot slot = _slots[i];
            Tensor? gradientY = Total(slot.Adjoint, fromGraph[i]);
            Tensor gradientX = slot.ClosedForm ? slot.Bijector.ChainRule(slot.X, slot.Leaf, gradientY) : gradientY ?? zeros_like(slot.X);
            parts[i] = gradientX.dim() == 2 ? gradientX : gradientX.reshape(chains, -1); // [C, k] already for most parameters
        }
        return parts.Length == 1 ? parts[0] : cat(parts, 1);
    }

    /// <summary>The direct adjoint plus the reverse pass's gradient (an unused input's is an undefined tensor), or null for none.</summary>
    static Tensor? Total(Tensor? adjoint, Tensor? fromGraph) =>
        fromGraph is { IsInvalid: false } ? Plus(adjoint, fromGraph) : adjoint;

    /// <summary>a + b, with a null a (no adjoint yet) as zero.</summary>
    static Tensor Plus(Tensor? a, Tensor b) => a is null ? b : a + b;

    static void Accumulate(Slot slot, Tensor adjoint) => slot.Adjoint = Plus(slot.Adjoint, adjoint);

    Slot? ClosedFormSlot(Tensor value) => _slots.Find(s => s.ClosedForm && ReferenceEquals(s.Leaf, value));

    /// <summary>Adds d log p / d <paramref name="input"/>, summed to the input's shape: to a parameter's value directly, to any
    /// other tensor as a seed of the reverse pass.</summary>
    void Seed(Tensor input, Tensor partial)
    {
        Tensor adjoint;
        using (no_grad()) adjoint = SumToShape(partial, input);
        if (ClosedFormSlot(input) is { } slot)
        {
            using (no_grad()) Accumulate(slot, adjoint);
            return;
        }
        if (_linear.Find(n => ReferenceEquals(n.Eta, input)) is { } node)
        {
            using (no_grad()) node.Adjoint = Plus(node.Adjoint, adjoint);
            return;
        }
        _outputs.Add(input);
        _seeds.Add(adjoint);
    }

    /// <summary>The sum of <paramref name="partial"/> over the dimensions along which <paramref name="input"/> was broadcast
    /// (leading ones it lacks, and its dimensions of size 1): the input's shape.</summary>
    static Tensor SumToShape(Tensor partial, Tensor input)
    {
        int inputRank = (int)input.dim(), extra = (int)partial.dim() - inputRank;
        if (extra < 0) return partial.expand(TensorShape.Of(input));
        Tensor result = extra == 0 ? partial : partial.sum(Enumerable.Range(0, extra).Select(d => (long)d).ToArray());
        long[] broadcast = Enumerable.Range(0, inputRank).Where(d => input.size(d) == 1 && result.size(d) != 1)
            .Select(d => (long)d).ToArray();
        if (broadcast.Length > 0) result = result.sum(broadcast, keepdim: true);
        return TensorShape.Is(result, TensorShape.Of(input)) ? result : result.expand(TensorShape.Of(input));
    }
}
