using System.Diagnostics;
using BayesDL.Distributions;
using BayesDL.Engine;
using BayesDL.KL;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// KL-registry overhead: forward and backward of KL(q || p) between diagonal Gaussians with 10^6 elements
/// (q = N(mu, sigma^2) with trainable mu, sigma; p = N(0, 1)), through <see cref="KLDivergence.Analytic"/> on
/// <c>Dist.DiagonalNormal(..., validate: false)</c> versus the same formula written in raw TorchSharp.
/// Reports the time ratio (median over alternating rounds) and how many pairs the registry holds.
/// </summary>
public sealed class KLWorkload : IWorkload
{
    public string Name => "kl";
    public string Description => "analytic KL of 10^6-element diagonal Gaussians, forward+backward, registry vs raw TorchSharp";

    public IDictionary<string, object> Run(BenchOptions options)
    {
        int rounds = options.Quick ? 3 : 11, stepsPerRound = options.Quick ? 5 : 20;
        const long n = 1_000_000;
        var policy = ComputePolicy.Default;
        NativeEngine.Seed(3);
        Tensor mu = (0.1 * randn(n, dtype: policy.Dtype, device: policy.Device)).requires_grad_();
        Tensor sigma = (0.05 + rand(n, dtype: policy.Dtype, device: policy.Device)).requires_grad_();
        Tensor priorLoc = zeros(n, dtype: policy.Dtype, device: policy.Device);
        Tensor priorScale = ones(n, dtype: policy.Dtype, device: policy.Device);

        void Ours(int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                using var scope = NewDisposeScope();
                var q = Dist.DiagonalNormal(mu, sigma, validate: false);
                var p = Dist.DiagonalNormal(priorLoc, priorScale, validate: false);
                KLDivergence.Analytic(q, p).backward();
                mu.grad!.zero_(); sigma.grad!.zero_();
            }
        }

        void Raw(int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                using var scope = NewDisposeScope();
                Tensor ratio = sigma / priorScale;
                Tensor z = (mu - priorLoc) / priorScale;
                Tensor kl = (0.5 * (ratio.square() + z.square() - 1) - ratio.log()).sum(-1);
                kl.backward();
                mu.grad!.zero_(); sigma.grad!.zero_();
            }
        }

        // Agreement first: the benchmark compares equal computations.
        double agree;
        using (no_grad())
        {
            Tensor a = KLDivergence.Analytic(Dist.DiagonalNormal(mu, sigma), Dist.DiagonalNormal(priorLoc, priorScale));
            Tensor b = (0.5 * ((sigma / priorScale).square() + ((mu - priorLoc) / priorScale).square() - 1)
                - (sigma / priorScale).log()).sum(-1);
            agree = Math.Abs(a.item<float>() - b.item<float>()) / Math.Abs(b.item<float>());
        }
        Ours(3); Raw(3); // warm-up

        var ratios = new List<double>();
        double oursMs = 0, rawMs = 0;
        for (int r = 0; r < rounds; r++)
        {
            // Alternate the order so that drift in machine load hits both sides equally.
            double a, b;
            if (r % 2 == 0) { a = Time(() => Ours(stepsPerRound)); b = Time(() => Raw(stepsPerRound)); }
            else { b = Time(() => Raw(stepsPerRound)); a = Time(() => Ours(stepsPerRound)); }
            a /= stepsPerRound; b /= stepsPerRound;
            ratios.Add(a / b); oursMs += a; rawMs += b;
            options.Progress($"round {r + 1}/{rounds}: BayesDL {a:F3} ms/step, raw {b:F3} ms/step, ratio {a / b:F3}");
        }
        ratios.Sort();

        return new Dictionary<string, object>
        {
            ["bayesdl_ms"] = Math.Round(oursMs / rounds, 4),
            ["raw_ms"] = Math.Round(rawMs / rounds, 4),
            ["ratio"] = Math.Round(ratios[ratios.Count / 2], 4),
            ["ratio_min"] = Math.Round(ratios[0], 4),
            ["ratio_max"] = Math.Round(ratios[^1], 4),
            ["relative_difference"] = agree,
            ["pairs_registered"] = KLDivergence.RegisteredPairs.Count,
            ["elements"] = n,
            ["rounds"] = rounds,
            ["steps_per_round"] = stepsPerRound,
            ["device"] = policy.ToString(),
        };
    }

    static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalMilliseconds;
    }
}
