using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// The PyTorch example's VAE written directly in TorchSharp (fc1, fc21, fc22, fc3, fc4; BCE summed plus the
/// closed-form KL, divided by the batch), the baseline for BayesDL's overhead in the vae workload. It draws its
/// shuffles and noise from its own generator, so running its epochs between the library's epochs (to give both
/// the same machine conditions) leaves the library's random stream, and so its results, untouched.
/// </summary>
internal sealed class RawTorchSharpVae : nn.Module<Tensor, (Tensor, Tensor, Tensor)>
{
    readonly nn.Module<Tensor, Tensor> fc1, fc21, fc22, fc3, fc4;
    readonly Generator generator;
    readonly optim.Optimizer optimizer;

    RawTorchSharpVae(long seed, Device device, ScalarType dtype) : base("RawVae")
    {
        generator = new Generator((ulong)seed);
        manual_seed(seed);
        fc1 = nn.Linear(784, 400); fc21 = nn.Linear(400, 20); fc22 = nn.Linear(400, 20);
        fc3 = nn.Linear(20, 400); fc4 = nn.Linear(400, 784);
        RegisterComponents();
        this.to(device, dtype);
        optimizer = optim.Adam(parameters(), 1e-3);
    }

    /// <summary>A model with PyTorch's default initialisation drawn from <paramref name="seed"/>, with its own Adam (1e-3).</summary>
    public static RawTorchSharpVae Create(Tensor like, long seed)
    {
        // nn.Linear initialises from the global generator: save and restore its state so the caller's stream is unchanged.
        using var state = get_rng_state();
        var model = new RawTorchSharpVae(seed, like.device, like.dtype);
        set_rng_state(state);
        return model;
    }

    /// <summary>The model's Adam (1e-3), for loops that take the steps themselves.</summary>
    public optim.Optimizer Optimizer => optimizer;

    public override (Tensor, Tensor, Tensor) forward(Tensor x)
    {
        Tensor h = nn.functional.relu(fc1.forward(x));
        Tensor mu = fc21.forward(h), logvar = fc22.forward(h);
        Tensor z = mu + randn(mu.shape, dtype: mu.dtype, device: mu.device, generator: generator) * (0.5 * logvar).exp();
        return (fc4.forward(nn.functional.relu(fc3.forward(z))), mu, logvar);
    }

    /// <summary>One epoch over the rows of <paramref name="x"/> (shuffled, batch 128, the last batch smaller);
    /// returns its seconds.</summary>
    public double TrainEpoch(Tensor x)
    {
        long n = x.shape[0];
        var sw = Stopwatch.StartNew();
        using var perm = randperm(n, generator: generator, device: x.device);
        for (long s = 0; s < n; s += 128)
        {
            using var scope = NewDisposeScope();
            Tensor batch = x[perm[TensorIndex.Slice(s, Math.Min(n, s + 128))]];
            optimizer.zero_grad();
            var (logits, mu, logvar) = forward(batch);
            Tensor bce = nn.functional.binary_cross_entropy_with_logits(logits, batch, reduction: nn.Reduction.Sum);
            Tensor kld = -0.5 * (1 + logvar - mu.square() - logvar.exp()).sum();
            Tensor loss = (bce + kld) / batch.shape[0];
            loss.backward();
            optimizer.step();
        }
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Test ELBO per image of this model, as the library's evaluation computes it: the closed-form KL and
    /// <paramref name="samples"/> draws of z per image for E_q[log p(x|z)], in batches of 50, without gradients.
    /// </summary>
    public double TestElbo(Tensor x, int samples)
    {
        using var _ = no_grad();
        double sum = 0;
        for (long s = 0; s < x.shape[0]; s += 50)
        {
            using var scope = NewDisposeScope();
            Tensor batch = x[TensorIndex.Slice(s, Math.Min(x.shape[0], s + 50))];
            Tensor h = nn.functional.relu(fc1.forward(batch));
            Tensor mu = fc21.forward(h), logvar = fc22.forward(h);
            Tensor eps = randn(new[] { samples, mu.shape[0], mu.shape[1] }, dtype: mu.dtype, device: mu.device, generator: generator);
            Tensor logits = fc4.forward(nn.functional.relu(fc3.forward(mu + eps * (0.5 * logvar).exp())));
            Tensor bce = nn.functional.binary_cross_entropy_with_logits(logits, batch.expand(logits.shape), reduction: nn.Reduction.None)
                .sum(-1L).mean(new long[] { 0 });
            Tensor kld = -0.5 * (1 + logvar - mu.square() - logvar.exp()).sum(-1L);
            sum -= (bce + kld).sum().to(ScalarType.Float64).item<double>();
        }
        return sum / x.shape[0];
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) generator.Dispose();
        base.Dispose(disposing);
    }
}
