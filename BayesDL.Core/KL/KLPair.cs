namespace BayesDL.KL;

/// <summary>A registered (P, Q) pair of distribution types with an analytic KL(p || q), e.g. "Normal-Laplace".</summary>
/// <param name="P">The type of the first argument p.</param>
/// <param name="Q">The type of the second argument q.</param>
public sealed record KLPair(Type P, Type Q)
{
    /// <summary>"P-Q", e.g. "Normal-Normal".</summary>
    public string Name => $"{P.Name}-{Q.Name}";

    /// <inheritdoc/>
    public override string ToString() => Name;
}
