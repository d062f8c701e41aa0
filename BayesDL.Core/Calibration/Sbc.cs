using System.Diagnostics;
using BayesDL.Engine;
using static TorchSharp.torch;

namespace BayesDL.Calibration;

/// <summary>
/// Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari &amp; Gelman 2018, "Validating Bayesian inference
/// algorithms with simulation-based calibration"). For n = 1..N: draw theta~ ~ p(theta) and y~ ~ p(y | theta~), run the
/// inference method on y~ for L draws theta_1..theta_L (thinned), and record the rank r_n = #{l : theta_l &lt; theta~} per
/// parameter. Since theta~ is itself a draw from p(theta | y~) (the data-averaged posterior is the prior), a method whose
/// draws follow p(theta | y~) gives ranks uniform on 0..L; a method too narrow gives a U-shaped histogram, too wide a
/// hump, biased a slope. The histogram in B bins is tested with Pearson's chi-square (B - 1 degrees of freedom).
/// </summary>
public static class Sbc
{
    /// <summary>
    /// Runs SBC of <paramref name="method"/> on <paramref name="model"/>. Throws <see cref="ArgumentException"/> for bad
    /// options, a prior draw that is not a vector [D], a simulated data set whose shape differs from
    /// <see cref="SbcModel.DataShape"/>, or a method whose draws are not [L k, D] and finite (each naming the replication).
    /// </summary>
    public static SbcResult Run(SbcModel model, IPosteriorSampler method, SbcOptions? options = null,
                                Action<int, SbcResult>? onReplication = null)
    {
        const string who = nameof(Sbc) + "." + nameof(Run);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(method);
        options ??= new SbcOptions();
        options.Validate();
        Validation.Check.Argument(model.Dimension > 0, who, "model.ParameterNames", "no names", "one name per parameter");
        int d = model.Dimension, n = options.Replications, l = options.Draws, k = options.Thinning;
        var ranks = new int[d][];
        for (int i = 0; i < d; i++) ranks[i] = new int[n];
        var watch = Stopwatch.StartNew();
        for (int rep = 0; rep < n; rep++)
        {
            using var scope = NewDisposeScope();
            long seed = options.Seed + rep;
            NativeEngine.Seed(seed);
            Tensor theta = model.Prior();
            Validation.Check.Argument(theta.dim() == 1 && theta.shape[0] == d, who, $"model.Prior ({model.Name})",
                $"shape {Validation.Check.Shape(theta.shape)} in replication {rep}",
                $"a vector [{d}] (one value per parameter: {string.Join(", ", model.ParameterNames)})");
            Tensor y = model.Simulate(theta);
            Validation.Check.Argument(y.shape.SequenceEqual(model.DataShape), who, $"model.Simulate ({model.Name})",
                $"a data set of shape {Validation.Check.Shape(y.shape)} in replication {rep}",
                $"shape {Validation.Check.Shape(model.DataShape)} (the model's DataShape)",
                "Return one data set of the declared shape, or declare the shape the simulator returns.");
            Tensor draws = method.Draw(y, l * k, MethodSeed(seed));
            Validation.Check.Argument(draws.dim() == 2 && draws.shape[0] == (long)l * k && draws.shape[1] == d, who,
                $"method ({method.Name})", $"draws of shape {Validation.Check.Shape(draws.shape)} in replication {rep}",
                $"[{l * k}, {d}] (Draws x Thinning, parameters)");
            Tensor kept = draws.narrow(0, k - 1, l * k - (k - 1)).slice(0, 0, l * k - (k - 1), k); // every k-th draw: L rows
            Validation.Check.Finite(kept, $"{who} (method {method.Name}, replication {rep})", "draws");
            Tensor truth = theta.to(kept.dtype, kept.device).unsqueeze(0);
            double[] below = kept.lt(truth).sum(dim: 0).to(ScalarType.Float64, CPU).data<double>().ToArray();
            for (int i = 0; i < d; i++) ranks[i][rep] = (int)below[i];
            onReplication?.Invoke(rep + 1, Summarise(model, method, options, ranks, rep + 1, watch.Elapsed));
        }
        return Summarise(model, method, options, ranks, n, watch.Elapsed);
    }

    /// <summary>
    /// The method's seed for replication seed s: one step of Knuth's MMIX linear congruential generator, so the method's
    /// random numbers (a chain's start, its momenta) come from another stream than the ones that drew theta~ and y~; with the
    /// same seed they would be the same numbers, and the draws would depend on the truth they are ranked against.
    /// </summary>
    internal static long MethodSeed(long seed) => unchecked(seed * 6364136223846793005L + 1442695040888963407L);

    static SbcResult Summarise(SbcModel model, IPosteriorSampler method, SbcOptions options, int[][] ranks, int done, TimeSpan elapsed)
    {
        var parameters = new SbcParameterResult[ranks.Length];
        for (int i = 0; i < ranks.Length; i++)
        {
            int[] r = ranks[i][..done];
            int[] counts = RankUniformity.Histogram(r, options.Draws, options.Bins);
            double x2 = RankUniformity.ChiSquare(counts);
            double p = RankUniformity.ChiSquarePValue(x2, options.Bins - 1);
            parameters[i] = new SbcParameterResult(model.ParameterNames[i], r, counts, x2, p);
        }
        return new SbcResult(model.Name, method.Name, options with { Replications = done }, parameters, elapsed);
    }
}
