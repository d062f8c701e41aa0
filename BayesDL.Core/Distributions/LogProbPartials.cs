using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// A log density log p(value) with its partial derivatives in closed form, computed without recording an autograd graph
/// (the operands-and-partials of Stan's math library): for each input that requires a gradient (the value, a parameter), the
/// partial d log p / d input element-wise, of a shape that broadcasts to the log density's and from which the input's own
/// shape is reached by summing (the caller reduces). Inputs that do not require a gradient have no partial. Made by
/// <see cref="Distribution.LogProbWithPartials"/>; its tensors live in the caller's dispose scope.
/// </summary>
internal sealed class LogProbPartials
{
    readonly List<(Tensor Input, Tensor Partial)> _partials = new(3);

    internal LogProbPartials(Tensor logProb) => LogProb = logProb;

    /// <summary>log p(value), the shape <see cref="Distribution.LogProb"/> gives.</summary>
    internal Tensor LogProb { get; }

    /// <summary>Each input that requires a gradient, with d log p / d input.</summary>
    internal IReadOnlyList<(Tensor Input, Tensor Partial)> Partials => _partials;

    /// <summary>Adds <paramref name="partial"/>'s result for <paramref name="input"/> when the input requires a gradient (the
    /// partial is not computed otherwise).</summary>
    internal LogProbPartials With(Tensor input, Func<Tensor> partial)
    {
        if (input.requires_grad) _partials.Add((input, partial()));
        return this;
    }
}
