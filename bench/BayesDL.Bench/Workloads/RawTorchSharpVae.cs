using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// The PyTorch example's VAE written directly in TorchSharp (fc1, fc21, fc22, fc3, fc4; BCE summed plus the
/// closed-form KL, divided by the batch), the baseline for BayesDL's overhead in the vae workload.
/// </summary>
internal sealed class RawTorchSharpVae : nn.Module<Tensor, (Tensor, Tensor, Tensor)>
{
    readonly nn.Module<Tensor, Tensor> fc1 = nn.Linear(784, 400), fc21 = nn.Linear(400, 20), fc22 = nn.Linear(400, 20), fc3 = nn.Linear(20, 400), fc4 = nn.Linear(400, 784);

    RawTorchSharpVae() : base("RawVae") => RegisterComponents();

    public override (Tensor, Tensor, Tensor) forward(Tensor x)
    {
        Tensor h = nn.functional.relu(fc1.forward(x));
        Tensor mu = fc21.forward(h), logvar = fc22.forward(h);
        Tensor z = mu + randn_like(mu) * (0.5 * logvar).exp();
        return (fc4.forward(nn.functional.relu(fc3.forward(z))), mu, logvar);
    }

    /// <summary>Trains for <paramref name="epochs"/> epochs (Adam 1e-3, batch 128, shuffled) and returns the seconds each epoch took.</summary>
    public static List<double> EpochSeconds(Tensor x, int epochs, long seed)
    {
        manual_seed(seed);
        var model = new RawTorchSharpVae();
        model.to(x.device, x.dtype);
        using var opt = optim.Adam(model.parameters(), 1e-3);
        long n = x.shape[0];
        var seconds = new List<double>();
        for (int e = 0; e < epochs; e++)
        {
            var sw = Stopwatch.StartNew();
            using var perm = randperm(n, device: x.device);
            for (long s = 0; s < n; s += 128)
            {
                using var scope = NewDisposeScope();
                Tensor batch = x[perm[TensorIndex.Slice(s, Math.Min(n, s + 128))]];
                opt.zero_grad();
                var (logits, mu, logvar) = model.forward(batch);
                Tensor bce = nn.functional.binary_cross_entropy_with_logits(logits, batch, reduction: nn.Reduction.Sum);
                Tensor kld = -0.5 * (1 + logvar - mu.square() - logvar.exp()).sum();
                Tensor loss = (bce + kld) / batch.shape[0];
                loss.backward();
                opt.step();
            }
            seconds.Add(sw.Elapsed.TotalSeconds);
        }
        return seconds;
    }
}
