namespace BayesDL.Builders;

/// <summary>The kinds of model-declaration mistake the builder catches before any training.</summary>
public enum BuildErrorKind
{
    /// <summary>A layer's input shape differs from the previous layer's output shape.</summary>
    ShapeMismatch,
    /// <summary>The likelihood cannot read the network's output (wrong width, or probabilities where logits are expected).</summary>
    LikelihoodMismatch,
    /// <summary>An analytic KL was asked for a (posterior, prior) pair with no closed form registered.</summary>
    UnregisteredKL,
    /// <summary>A variational family that does not fit the layer (for example full rank over too many weights).</summary>
    UnsupportedFamily,
    /// <summary>A parameter outside its valid range (a non-positive width, a dropout rate outside [0, 1)).</summary>
    InvalidParameter,
    /// <summary>The declaration is incomplete (no layers, no input shape where it cannot be inferred).</summary>
    Incomplete,
}
