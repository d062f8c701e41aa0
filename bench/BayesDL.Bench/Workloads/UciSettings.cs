using BayesDL.Builders;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// The fixed defaults of the UCI recipes (<see cref="UciRecipes"/>), the same for every data set: a user's own data set runs
/// with these and the same validation search. MC dropout trains as Gal &amp; Ghahramani's grid-search re-run (the published
/// figures) did: batches of 128 rows for at least <see cref="MCDropoutEpochs"/> = 4,000 epochs per fit (40 epochs times their
/// 100x multiplier; on kin8nm 188,000 steps per grid fit) and at least <see cref="MCDropoutSteps"/> steps, affordable because all
/// splits' fits train together as replicas (<see cref="UciRecipes.MCDropout"/>). The other fits' lengths are budgets of
/// optimiser steps turned into whole epochs for n rows, and at least
/// <see cref="MinEpochs"/> epochs for the fits from scratch, so a small data set gets enough steps and a large one enough passes
/// (Lakshminarayanan et al. trained 40 epochs).
/// </summary>
/// <param name="BatchSize">Rows per minibatch of concrete dropout, Bayes by Backprop and the MAP network, SWAG and SGHMC.</param>
/// <param name="LearningRate">Adam's step size for MC dropout, concrete dropout and the MAP network.</param>
/// <param name="MCDropoutEpochs">The fewest epochs of each MC dropout fit (the grid's and the refit).</param>
/// <param name="MCDropoutSteps">The fewest steps of each MC dropout fit.</param>
/// <param name="MCDropoutBatchSize">Rows per minibatch of MC dropout.</param>
/// <param name="ConcreteSteps">Adam steps of the concrete dropout fit.</param>
/// <param name="EnsembleSteps">Adam steps of each ensemble member.</param>
/// <param name="EnsembleBatchSize">Rows per minibatch of the ensemble members.</param>
/// <param name="EnsembleLearningRate">Adam's step size for the ensemble members.</param>
/// <param name="BbbSteps">Adam steps of the Bayes by Backprop fit.</param>
/// <param name="BbbLearningRate">Adam's step size for Bayes by Backprop.</param>
/// <param name="Members">Ensemble members (5 in Lakshminarayanan et al. 2017).</param>
/// <param name="LengthScale">The prior length-scale l of MC and concrete dropout (10⁻², Gal &amp; Ghahramani's UCI code).</param>
/// <param name="DropoutRates">The dropout rates of MC dropout's grid (Gal &amp; Ghahramani's UCI grid).</param>
/// <param name="ValidationFraction">
/// The share of a split's training rows held out to choose hyperparameters (20%, as Gal &amp; Ghahramani).
/// </param>
/// <param name="Samples">T of the validation predictive that scores MC dropout's grid (1,000: 40 grid points per split).</param>
/// <param name="MapSteps">Adam steps of the maximum-likelihood network that Laplace, SWAG and SGHMC start from.</param>
/// <param name="SwagSteps">SGD steps of the SWAG collection.</param>
/// <param name="SwagLearningRate">SWAG's SGD rate per unit noise variance (the rate is this times σ²).</param>
/// <param name="SwagRank">SWAG's rank K.</param>
/// <param name="SwagSnapshots">About how many snapshots SWAG collects (whole snapshots per epoch).</param>
/// <param name="SghmcSteps">SGHMC steps in all.</param>
/// <param name="SghmcStepScale">c of SGHMC's step η = c σ² / N.</param>
/// <param name="SghmcCycles">SGHMC's cosine cycles.</param>
/// <param name="SghmcDraws">About how many weight draws SGHMC keeps (the thinning is set to keep this many).</param>
/// <param name="MinEpochs">The fewest epochs of a fit from scratch (concrete dropout, ensemble, Bayes by Backprop, MAP).</param>
/// <param name="TestSamples">
/// T, the draws of each sampled test predictive (MC dropout, concrete dropout, Bayes by Backprop, SWAG): 10,000, as in Gal &amp;
/// Ghahramani's UCI code, whose figures the table is compared with. The mixture's log-likelihood log((1/T) Σ p(y | draw t)) is
/// biased low by about Var/(2T E²) of the per-draw likelihood (Jensen), so T is part of the protocol.
/// </param>
/// <param name="NutsChains">NUTS chains (opt-in method).</param>
/// <param name="NutsWarmup">NUTS warm-up iterations per chain.</param>
/// <param name="NutsDraws">NUTS draws per chain.</param>
/// <param name="NutsTreeDepth">NUTS's largest tree depth.</param>
public sealed record UciSettings(int BatchSize = 32, double LearningRate = 1e-3, int MCDropoutEpochs = 4000, int MCDropoutSteps = 4000,
                                 int MCDropoutBatchSize = 128,
                                 int ConcreteSteps = 3000,
                                 int EnsembleSteps = 1000, int EnsembleBatchSize = 64, double EnsembleLearningRate = 3e-3,
                                 int BbbSteps = 3000, double BbbLearningRate = 1e-2,
                                 int Members = 5, double LengthScale = 1e-2, double[]? DropoutRates = null, double ValidationFraction = 0.2,
                                 int Samples = 1000, int MapSteps = 3000, int SwagSteps = 1000, double SwagLearningRate = 0.01,
                                 int SwagRank = 20, int SwagSnapshots = 50, int SghmcSteps = 2000, double SghmcStepScale = 0.01,
                                 int SghmcCycles = 4, int SghmcDraws = 200, int MinEpochs = 40,
                                 int NutsChains = 2, int NutsWarmup = 300, int NutsDraws = 300, int NutsTreeDepth = 8,
                                 int TestSamples = 10000)
{
    /// <summary>MC dropout's dropout-rate grid (default 0.005, 0.01, 0.05, 0.1).</summary>
    public double[] DropoutRates { get; init; } = DropoutRates ?? [.. MCDropoutGridSearchOptions.DefaultDropoutRates];

    /// <summary>The seconds-long settings of <c>--quick</c>: a few steps, a 2-point rate grid, 2 members, 50 draws.</summary>
    public static UciSettings Quick { get; } = new(MCDropoutEpochs: 1, MCDropoutSteps: 40, ConcreteSteps: 40, EnsembleSteps: 40,
        BbbSteps: 40, Members: 2, DropoutRates: [0.01, 0.1], Samples: 50, TestSamples: 50,
        MapSteps: 40, SwagSteps: 40, SwagRank: 2, SwagSnapshots: 4,
        SghmcSteps: 40, SghmcCycles: 2, SghmcDraws: 10, MinEpochs: 1,
        NutsChains: 1, NutsWarmup: 10, NutsDraws: 10, NutsTreeDepth: 4);

    /// <summary>The whole epochs (at least one) that make about <paramref name="steps"/> steps over <paramref name="rows"/> rows.</summary>
    public int Epochs(long rows, int steps) => Epochs(rows, steps, BatchSize);

    /// <summary>
    /// The epochs of a fit from scratch: about <paramref name="steps"/> steps of <paramref name="batch"/> rows, at least
    /// <see cref="MinEpochs"/>.
    /// </summary>
    public int TrainingEpochs(long rows, int steps, int batch) => Math.Max(MinEpochs, Epochs(rows, steps, batch));

    /// <summary>The whole epochs (at least one) that make about <paramref name="steps"/> steps of <paramref name="batch"/> rows.</summary>
    public static int Epochs(long rows, int steps, int batch) => (int)Math.Max(1, Math.Round((double)steps * batch / rows));
}
