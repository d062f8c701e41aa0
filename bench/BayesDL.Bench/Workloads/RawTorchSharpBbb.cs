using System.Diagnostics;
using BayesDL.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Bench.Workloads;

/// <summary>
/// Bayes by Backprop 784-400-400-10 written directly in TorchSharp, the bbb workload's baseline: local reparameterization,
/// sigma = softplus(rho) recomputed where used, the closed-form KL to N(0, 1) per tensor, cross-entropy plus KL / N, TorchSharp's
/// Adam (1e-3) after zeroing the gradients. Initialised from the global generator: uniform(±1/sqrt(fan-in)) means, rho = -5.
/// </summary>
internal sealed class RawTorchSharpBbb
{
    readonly LabeledData _data;
    readonly int _batch;
    readonly List<(Parameter Wm, Parameter Wr, Parameter Bm, Parameter Br)> _layers = new();
    readonly optim.Optimizer _opt;
    int _epoch;

    public RawTorchSharpBbb(LabeledData data, int batch)
    {
        _data = data; _batch = batch;
        foreach (var (i, o) in new[] { (784L, 400L), (400L, 400L), (400L, 10L) })
        {
            double bound = 1 / Math.Sqrt(i);
            _layers.Add((new Parameter(empty(o, i).uniform_(-bound, bound)), new Parameter(full(o, i, -5.0)),
                new Parameter(empty(o).uniform_(-bound, bound)), new Parameter(full(o, -5.0))));
        }
        _opt = optim.Adam(_layers.SelectMany(l => new[] { l.Wm, l.Wr, l.Bm, l.Br }), 1e-3);
    }

    /// <summary>One epoch (its own shuffle: a generator seeded with the epoch number) in minibatches of the size given at construction;
    /// returns its seconds.</summary>
    public double Epoch()
    {
        var clock = Stopwatch.StartNew();
        long n = _data.Count;
        using var shuffler = new Generator((ulong)(++_epoch), CPU);
        using var order = randperm(n, generator: shuffler);
        for (long start = 0; start < n; start += _batch)
        {
            using var scope = NewDisposeScope();
            Step(order.narrow(0, start, Math.Min(_batch, n - start)));
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// One training step on the given rows. <paramref name="lap"/>, when given, is called after each phase with its name (the
    /// bbb-phases workload times them; CPU kernels run synchronously, so a phase's time is its own).
    /// </summary>
    public void Step(Tensor rows, Action<string>? lap = null)
    {
        long n = _data.Count;
        Tensor h = _data.Inputs.index_select(0, rows), y = _data.Targets.index_select(0, rows);
        lap?.Invoke("gather");
        _opt.zero_grad();
        lap?.Invoke("zero_grad");
        Tensor kl = zeros(1);
        h = Forward(h, (mu, sigma) => kl = kl + KL(mu, sigma), lap);
        Tensor loss = nn.functional.cross_entropy(h, y);
        lap?.Invoke("cross_entropy");
        loss = loss + kl.squeeze() / n;
        lap?.Invoke("combine");
        loss.backward();
        lap?.Invoke("backward");
        _opt.step();
        lap?.Invoke("adam_step");
    }

    /// <summary>The mean of softmax outputs over <paramref name="draws"/> weight draws.</summary>
    public Tensor PredictiveMean(Tensor x, int draws)
    {
        using var _ = no_grad();
        Tensor sum = zeros(x.shape[0], 10);
        for (int d = 0; d < draws; d++)
        {
            using var scope = NewDisposeScope();
            sum.add_(nn.functional.softmax(Forward(x), 1));
        }
        return sum.div_(draws);
    }

    Tensor Forward(Tensor h, Action<Tensor, Tensor>? posterior = null, Action<string>? lap = null)
    {
        for (int l = 0; l < _layers.Count; l++)
        {
            var (wm, wr, bm, br) = _layers[l];
            Tensor ws = nn.functional.softplus(wr, 1, 20), bs = nn.functional.softplus(br, 1, 20);
            lap?.Invoke("softplus");
            Tensor mean = nn.functional.linear(h, wm, bm);
            lap?.Invoke("mean_matmul");
            Tensor var = nn.functional.linear(h.square(), ws.square(), bs.square());
            lap?.Invoke("variance_matmul");
            h = mean + (var + 1e-16).sqrt() * randn_like(mean);
            lap?.Invoke("noise");
            if (l < _layers.Count - 1) h = nn.functional.relu(h);
            lap?.Invoke("relu");
            posterior?.Invoke(wm, ws);
            posterior?.Invoke(bm, bs);
            lap?.Invoke("kl");
        }
        return h;
    }

    static Tensor KL(Tensor mu, Tensor sigma) => 0.5 * (sigma.square() + mu.square() - 1 - 2 * sigma.log()).sum();
}
