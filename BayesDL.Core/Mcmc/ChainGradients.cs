namespace BayesDL.Mcmc;

/// <summary>
/// What one chain's run cost, in gradient evaluations of the log density (one per leapfrog step, step-size searches included;
/// Stan reports the same per iteration as <c>n_leapfrog__</c>). The chains run asynchronously in batched calls, so the run takes
/// as many calls as its most expensive chain needs: a chain whose warm-up adapted to a region it later left (a minor mode, say)
/// can take several times the others' gradients and leave the other chains' rows of most calls empty
/// (<see cref="McmcResult.TargetCalls"/>).
/// </summary>
/// <param name="Warmup">Gradients spent in warm-up: the step-size searches and the warm-up transitions.</param>
/// <param name="Sampling">Gradients spent on the transitions whose draws are kept.</param>
public sealed record ChainGradients(long Warmup, long Sampling)
{
    /// <summary>Warm-up and sampling together.</summary>
    public long Total => Warmup + Sampling;
}
