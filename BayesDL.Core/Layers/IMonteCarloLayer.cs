namespace BayesDL.Layers;

/// <summary>
/// A layer whose randomness stands for posterior uncertainty (MC dropout, concrete dropout), so it stays
/// stochastic in evaluation mode: with dropout before every weight layer kept on at test time, T forward
/// passes are T draws from the Bernoulli variational posterior q(W) of Gal &amp; Ghahramani (ICML 2016).
/// Setting <see cref="MonteCarlo"/> to false makes evaluation mode deterministic again (the usual
/// "dropout off" prediction, weights scaled by their keep probability through inverted dropout).
/// </summary>
public interface IMonteCarloLayer
{
    /// <summary>True (the default): sample in evaluation mode too. False: deterministic in evaluation mode.</summary>
    bool MonteCarlo { get; set; }
}
