// Every registered analytic KL(p || q) at sample parameters, next to an independent check: the exact sum over the
// support for discrete pairs, and otherwise a Monte Carlo estimate (mean of log p(x) - log q(x) over draws x ~ p)
// with its standard error; an infinite KL is checked by the share of p's draws outside q's support.
// (scripts/kl-check.fsx checks univariate pairs by quadrature instead.)
// Run: dotnet run --project BayesDL.Cli -- script scripts/kl-check.csx
using static TorchSharp.torch;

var policy = ComputePolicy.Cpu.Float64();
NativeEngine.Seed(2026);
int draws = Quick ? 20_000 : 200_000;
Tensor S(double v) => policy.Scalar(v);
Tensor V(params double[] xs) => policy.Tensor(xs, xs.Length);
Tensor M(double[][] rows) => policy.Tensor(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);

// Sample parameters per family, and a second member of the family so that KL(p || q) > 0.
Distribution Sample(string family, bool second) => (family, second) switch
{
    ("Normal", false) => Dist.Normal(S(0.3), S(1.2)),                ("Normal", true) => Dist.Normal(S(-0.5), S(0.7)),
    ("Laplace", false) => Dist.Laplace(S(-0.4), S(0.8)),             ("Laplace", true) => Dist.Laplace(S(0.6), S(1.5)),
    ("LogNormal", false) => Dist.LogNormal(S(0.1), S(0.4)),          ("LogNormal", true) => Dist.LogNormal(S(-0.2), S(0.7)),
    ("Gamma", false) => Dist.Gamma(S(2.5), S(1.5)),                  ("Gamma", true) => Dist.Gamma(S(1.5), S(0.8)),
    ("Beta", false) => Dist.Beta(S(2.0), S(3.5)),                    ("Beta", true) => Dist.Beta(S(1.2), S(1.8)),
    ("Exponential", false) => Dist.Exponential(S(1.7)),              ("Exponential", true) => Dist.Exponential(S(0.6)),
    ("Uniform", false) => Dist.Uniform(S(0.2), S(0.9)),              ("Uniform", true) => Dist.Uniform(S(0.0), S(1.5)),
    ("HalfNormal", false) => Dist.HalfNormal(S(1.3)),                ("HalfNormal", true) => Dist.HalfNormal(S(0.6)),
    ("Bernoulli", false) => Dist.Bernoulli(S(0.3)),                  ("Bernoulli", true) => Dist.Bernoulli(S(0.65)),
    ("Categorical", false) => Dist.Categorical(V(0.1, 0.2, 0.3, 0.4)), ("Categorical", true) => Dist.Categorical(V(0.4, 0.3, 0.2, 0.1)),
    ("Dirichlet", false) => Dist.Dirichlet(V(1.5, 2.0, 3.0)),        ("Dirichlet", true) => Dist.Dirichlet(V(0.8, 2.5, 1.2)),
    ("MultivariateNormal", false) => Dist.MultivariateNormal(V(0.1, -0.2, 0.3),
        M(new[] { new[] { 1.0, 0.3, 0.1 }, new[] { 0.3, 0.8, -0.2 }, new[] { 0.1, -0.2, 1.5 } })),
    ("MultivariateNormal", true) => Dist.MultivariateNormal(V(-0.3, 0.2, 0.0),
        M(new[] { new[] { 1.4, -0.2, 0.0 }, new[] { -0.2, 1.0, 0.3 }, new[] { 0.0, 0.3, 0.9 } })),
    ("LowRankMultivariateNormal", false) => Dist.LowRankMultivariateNormal(V(0.0, 0.4, -0.1),
        M(new[] { new[] { 0.5 }, new[] { -0.3 }, new[] { 0.8 } }), V(0.6, 1.1, 0.7)),
    ("LowRankMultivariateNormal", true) => Dist.LowRankMultivariateNormal(V(0.3, 0.0, 0.2),
        M(new[] { new[] { 0.2, 0.4 }, new[] { 0.7, -0.1 }, new[] { -0.3, 0.5 } }), V(0.9, 0.5, 1.2)),
    ("Independent", false) => Dist.DiagonalNormal(V(0.2, -0.5, 1.0), V(0.7, 1.3, 0.9)),
    ("Independent", true) => Dist.DiagonalNormal(V(0.0, 0.0, 0.5), V(1.0, 0.8, 1.6)),
    _ => throw new ArgumentException($"kl-check: no sample parameters for {family}"),
};

Console.WriteLine($"{"pair",-40} {"analytic",14} {"check",14} {"|diff|/SE",10}  method");
foreach (var pair in KLDivergence.RegisteredPairs)
{
    using var scope = NewDisposeScope();
    string fp = pair.P.Name, fq = pair.Q.Name;
    var p = Sample(fp, false);
    var q = Sample(fq, fp == fq);
    double kl = KLDivergence.Analytic(p, q).sum().item<double>();
    if (double.IsPositiveInfinity(kl))
    {
        // Infinite KL: p must put mass where q has none.
        var x = p.Sample(draws);
        var outside = q switch
        {
            Uniform u => x.lt(u.Low).logical_or(x.gt(u.High)),
            Beta => x.le(0.0).logical_or(x.ge(1.0)),
            _ => x.le(0.0),
        };
        double share = outside.to_type(ScalarType.Float64).mean().item<double>();
        Console.WriteLine($"{pair.Name,-40} {"inf",14} {share,14:F3} {"-",10}  share of p's draws outside q's support (> 0 means inf)");
    }
    else if (p is Bernoulli or Categorical)
    {
        var support = p is Bernoulli ? V(0.0, 1.0) : arange(4, dtype: ScalarType.Int64);
        var lp = p.LogProb(support);
        double exact = (lp.exp() * (lp - q.LogProb(support))).sum().item<double>();
        Console.WriteLine($"{pair.Name,-40} {kl,14:F10} {exact,14:F10} {"-",10}  exact sum over the support (rel. error " +
            $"{Math.Abs(kl - exact) / Math.Abs(exact):E1})");
    }
    else
    {
        var mc = KLDivergence.MonteCarlo(p, q, draws);
        double estimate = mc.Estimate.sum().item<double>(), se = mc.StandardError.square().sum().sqrt().item<double>();
        // When log p - log q is constant on p's support (e.g. nested uniforms) every draw gives the exact value: SE 0.
        string z = se > 1e-12 * Math.Max(1, Math.Abs(kl)) ? (Math.Abs(kl - estimate) / se).ToString("F2") : "-";
        Console.WriteLine($"{pair.Name,-40} {kl,14:F10} {estimate,14:F10} {z,10}  Monte Carlo, {draws} draws, SE {se:E2}, rel. error " +
            $"{Math.Abs(kl - estimate) / Math.Abs(estimate):E1}");
    }
}
