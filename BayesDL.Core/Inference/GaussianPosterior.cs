using static TorchSharp.torch;

namespace BayesDL.Inference;

/// <summary>A Gaussian over a weight vector: mean [D] and covariance [D, D]. Owns its tensors.</summary>
public sealed record GaussianPosterior(Tensor Mean, Tensor Covariance) : IDisposable
{
    /// <summary>Marginal standard deviations sqrt(diag Sigma), shape [D].</summary>
    public Tensor StdDev() => Covariance.diagonal().sqrt();

    /// <inheritdoc/>
    public void Dispose() { Mean.Dispose(); Covariance.Dispose(); }
}
