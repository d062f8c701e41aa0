module BayesDL.Tests.Mcmc.HamiltonianMonteCarloTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Inference
open BayesDL.Mcmc
open BayesDL.Tests.TestSupport

/// Checks that the chains' average of f estimates E f within 5 Monte Carlo standard errors. For a stationary,
/// geometrically ergodic chain, mean(f) is asymptotically N(E f, sd(f)^2 / ESS_f) (Markov chain CLT; Vehtari
/// et al. 2021, sec. 3), so MCSE = sd(f) / sqrt(ESS_f) with ESS_f estimated from the same draws; a correct sampler
/// fails one such check with probability ~6e-7. Covariances are checked the same way with f = (x_i - m_i)(x_j - m_j)
/// centred at the true means, whose expectation is exactly Sigma_ij.
let private within5Mcse (what: string) (f: float[][]) (expected: float) =
    let all = Array.concat f
    let mean = Array.average all
    let sd = sqrt ((all |> Array.sumBy (fun v -> (v - mean) ** 2.0)) / float (all.Length - 1))
    let mcse = sd / sqrt (McmcDiagnostics.EffectiveSampleSize f)
    Assert.True(abs (mean - expected) < 5.0 * mcse, sprintf "%s: estimate %f, exact %f, 5 MCSE = %f" what mean expected (5.0 * mcse))

/// Tiny targets gain nothing from intra-op threads, and on a shared machine spinning OpenMP threads slow them 10x.
let private setup () =
    engineOneThread ()

let private product (a: float[][]) (ma: float) (b: float[][]) (mb: float) =
    Array.map2 (Array.map2 (fun x y -> (x - ma) * (y - mb))) a b

/// The correlated 2-D Gaussian both samplers are checked on: means 1 and -2, sds 1 and 2, correlation 0.8.
let private gaussianMean = [| 1.0; -2.0 |]
let private gaussianCovariance = [| 1.0; 1.6; 1.6; 4.0 |]

let private correlatedGaussian () =
    let mu = cpu64.Tensor(gaussianMean, 2L)
    let precision = torch.linalg.inv (cpu64.Tensor(gaussianCovariance, 2L, 2L))
    LogDensity.FromBatchedFunction(2, (fun x -> let z = x - mu in -0.5 * (z.matmul(precision) * z).sum(1L)), cpu64, "correlated Gaussian")

/// Mean, variances and covariance within 5 MCSE, R-hat below 1.01, no divergences.
let private matchesCorrelatedGaussian (r: McmcResult) =
    let mean, sigma = gaussianMean, gaussianCovariance
    let x0, x1 = r.Trace 0, r.Trace 1
    within5Mcse "mean x0" x0 mean[0]
    within5Mcse "mean x1" x1 mean[1]
    within5Mcse "var x0" (product x0 mean[0] x0 mean[0]) sigma[0]
    within5Mcse "cov x0 x1" (product x0 mean[0] x1 mean[1]) sigma[1]
    within5Mcse "var x1" (product x1 mean[1] x1 mean[1]) sigma[3]
    Assert.True(r.MaxRHat < 1.01, sprintf "R-hat %f" r.MaxRHat)
    Assert.Equal(0, r.Divergences)

[<Fact>]
let ``HMC on a correlated 2-D Gaussian matches its mean and covariance within 5 MCSE`` () =
    setup ()
    use r = HamiltonianMonteCarlo.Sample(correlatedGaussian (),
                                         HmcOptions(Samples = 600, Warmup = 300, Chains = 4, LeapfrogSteps = 8, Seed = 11L))
    matchesCorrelatedGaussian r
    Assert.Equal<int64>([| 4L; 600L; 2L |], r.Samples.shape)

[<Theory>]
[<InlineData("hmc")>]
[<InlineData("nuts")>]
let ``HMC and NUTS on conjugate Bayesian linear regression match the exact posterior mean and sd within 5 MCSE`` (sampler: string) =
    setup ()
    NativeEngine.Seed 21L
    let x = torch.rand(40L, dtype = torch.ScalarType.Float64) * 2.0 - 1.0
    use design = torch.stack([| torch.ones_like x; x |], 1L)
    use y = 1.5 - 2.0 * x + 0.5 * torch.randn_like x
    use exact = ConjugateLinearRegression.Posterior(design, y, 0.5, 1.0)
    let m, var = values exact.Mean, values (exact.Covariance.diagonal())
    let target = LogDensity.BayesianLinearRegression(design, y, 0.5, 1.0)
    // NUTS runs its chains one after another (per-chain tree shapes), so it gets fewer chains to keep the test short.
    let options =
        if sampler = "hmc" then HmcOptions(Samples = 600, Warmup = 300, Chains = 4, LeapfrogSteps = 8, Seed = 5L)
        else HmcOptions(Samples = 400, Warmup = 200, Chains = 2, MaxTreeDepth = 6, Seed = 5L)
    use r = if sampler = "hmc" then HamiltonianMonteCarlo.Sample(target, options) else NoUTurnSampler.Sample(target, options)
    for i in 0 .. 1 do
        let w = r.Trace i
        within5Mcse (sprintf "%s posterior mean w%d" sampler i) w m[i]
        within5Mcse (sprintf "%s posterior variance w%d" sampler i) (product w m[i] w m[i]) var[i]
    Assert.True(r.MaxRHat < 1.01, sprintf "R-hat %f" r.MaxRHat)
    // The adapted diagonal metric estimates the posterior variances (a few hundred warm-up draws: within a factor 2).
    for chain in r.InverseMassMatrix do
        for i in 0 .. 1 do Assert.InRange(chain[i] / var[i], 0.5, 2.0)

[<Fact>]
let ``dual averaging drives the warm-up acceptance rate to its target; a higher target gives a smaller step`` () =
    setup ()
    // Ten independent Gaussians with scales 0.1 .. 10: without a mass matrix, the step size has to suit the narrowest.
    let scales = Array.init 10 (fun i -> 0.1 * (100.0 ** (float i / 9.0)))
    use s = cpu64.Tensor(scales, 10L)
    let target = LogDensity.FromBatchedFunction(10, (fun x -> -0.5 * (x / s).square().sum(1L)), cpu64)
    let run delta =
        use r = HamiltonianMonteCarlo.Sample(target, HmcOptions(Samples = 100, Warmup = 400, Chains = 2,
                                                                LeapfrogSteps = 5, TargetAcceptance = delta,
                                                                AdaptMassMatrix = false, Seed = 3L))
        r.WarmupAcceptanceRate, r.AcceptanceRate, Seq.average r.StepSizes
    let runs = [ for delta in [ 0.6; 0.8; 0.95 ] -> delta, run delta ]
    for delta, (warm, after, _) in runs do
        // Dual averaging keeps log eps_t = mu - sqrt(t) H_t / gamma bounded, so H_t = mean(delta - alpha) is
        // O(gamma |mu - log eps| / sqrt(t)): about 0.05 * 3 / 20 < 0.01 after 400 iterations; the weights 1/(t + t0)
        // add a little more, hence the 0.03 band. The rate at the averaged step afterwards lies between delta - 0.1 and 1.
        Assert.True(abs (warm - delta) < 0.03, sprintf "delta %f: warm-up acceptance %f" delta warm)
        Assert.InRange(after, delta - 0.1, 1.0)
    let steps = runs |> List.map (fun (_, (_, _, eps)) -> eps)
    Assert.True((steps = List.sortDescending steps), sprintf "step sizes %A must shrink as delta grows (0.6, 0.8, 0.95)" steps)

[<Fact>]
let ``a target that is not finite at the initial position is a clear error`` () =
    engine ()
    let target = LogDensity.FromFunction(1, (fun x -> torch.log(x).sum()), cpu64, "log")
    let e = Assert.Throws<ArgumentException>(fun () ->
        HamiltonianMonteCarlo.Sample(target, HmcOptions(Samples = 10, Warmup = 0, Chains = 1), cpu64.Tensor([| -1.0 |], 1L)) |> ignore)
    Assert.Contains("log density NaN at chain 0's initial position [-1]", e.Message)
    Assert.Contains("initialPosition", e.Message)

[<Fact>]
let ``bad options and shapes are refused with the parameter named`` () =
    engine ()
    let target = LogDensity.FromBatchedFunction(2, (fun x -> -x.square().sum(1L)), cpu64)
    let e = Assert.Throws<ArgumentException>(fun () -> HamiltonianMonteCarlo.Sample(target, HmcOptions(TargetAcceptance = 1.5)) |> ignore)
    Assert.Contains("'TargetAcceptance'", e.Message)
    Assert.Contains("1.5", e.Message)
    let shape = Assert.Throws<ArgumentException>(fun () ->
        HamiltonianMonteCarlo.Sample(target, HmcOptions(Samples = 5, Warmup = 0, Chains = 2),
                                     cpu64.Tensor([| 1.0; 2.0; 3.0 |], 3L)) |> ignore)
    Assert.Contains("'initialPosition'", shape.Message)
    let scalarTarget = LogDensity.FromBatchedFunction(2, (fun x -> -x.square().sum()), cpu64, "wrong")
    let wrong = Assert.Throws<ArgumentException>(fun () -> HamiltonianMonteCarlo.Sample(scalarTarget,
                                                                                        HmcOptions(Samples = 5, Warmup = 0)) |> ignore)
    Assert.Contains("one log density per chain", wrong.Message)

[<Fact>]
let ``the same seed gives the same draws, for HMC and NUTS`` () =
    engine ()
    let target = LogDensity.FromBatchedFunction(1, (fun x -> -0.5 * x.square().sum(1L)), cpu64)
    let draw () =
        use r = HamiltonianMonteCarlo.Sample(target, HmcOptions(Samples = 20, Warmup = 20, Chains = 2, LeapfrogSteps = 3, Seed = 9L))
        values r.Samples
    Assert.Equal<float[]>(draw (), draw ())
    // NUTS too, on a target with a matrix product (whose kernels are sensitive to the input's memory alignment: positions are
    // copied into the engine's memory, not wrapped around a managed array whose address varies).
    let regression = LogDensity.BayesianLinearRegression(cpu64.Tensor([| for i in 0..39 -> sin (float i) |], 20L, 2L),
                                                         cpu64.Tensor([| for i in 0..19 -> cos (float i) |], 20L), 0.5, 1.0)
    let nuts () =
        use r = NoUTurnSampler.Sample(regression, HmcOptions(Samples = 30, Warmup = 30, Chains = 3, Seed = 9L))
        values r.Samples
    Assert.Equal<float[]>(nuts (), nuts ())

[<Fact>]
let ``NUTS on a correlated 2-D Gaussian matches its mean and covariance within 5 MCSE`` () =
    setup ()
    use r = NoUTurnSampler.Sample(correlatedGaussian (), HmcOptions(Samples = 500, Warmup = 200, Chains = 2, MaxTreeDepth = 6, Seed = 12L))
    matchesCorrelatedGaussian r
    // Each iteration builds at most 2^6 - 1 leapfrog steps per chain (plus the step-size searches of warm-up).
    Assert.True(r.GradientEvaluations < 2L * 700L * 63L, sprintf "%d gradient evaluations" r.GradientEvaluations)
    Assert.InRange(abs (r.WarmupAcceptanceRate - 0.8), 0.0, 0.05)

/// A 3-D Gaussian with scales 1e-3, 1 and 100 and correlations 0.95: its condition number after diagonal rescaling is about
/// 60, which a diagonal metric leaves to the trajectories and a dense one removes.
let private stretchedScales = [| 1e-3; 1.0; 100.0 |]
let private stretchedCovariance =
    Array.init 9 (fun k -> let i, j = k / 3, k % 3 in stretchedScales[i] * stretchedScales[j] * (if i = j then 1.0 else 0.95))

[<Fact>]
let ``NUTS with a dense metric samples a correlated Gaussian correctly and needs far fewer gradients per effective draw`` () =
    setup ()
    let precision = torch.linalg.inv (cpu64.Tensor(stretchedCovariance, 3L, 3L))
    let target = LogDensity.FromBatchedFunction(3, (fun x -> -0.5 * (x.matmul(precision) * x).sum(1L)), cpu64, "stretched Gaussian")
    let run dense = NoUTurnSampler.Sample(target, HmcOptions(Samples = 1000, Warmup = 1000, Chains = 4, Seed = 3L,
                                                             DenseMassMatrix = dense))
    use dense = run true
    use diagonal = run false
    for i in 0 .. 2 do
        let x = dense.Trace i
        within5Mcse (sprintf "mean x%d" i) x 0.0
        within5Mcse (sprintf "variance x%d" i) (product x 0.0 x 0.0) stretchedCovariance[i * 3 + i]
    within5Mcse "cov x0 x2" (product (dense.Trace 0) 0.0 (dense.Trace 2) 0.0) stretchedCovariance[2]
    Assert.True(dense.MaxRHat < 1.01, sprintf "R-hat %f" dense.MaxRHat)
    Assert.Equal(0, dense.Divergences)
    // The adapted M^-1 is the covariance: its diagonal within 30% of the variances (each chain's last window has 500 draws).
    for chain in dense.InverseMassMatrix do
        Array.iteri (fun i v -> Assert.InRange(v / stretchedCovariance[i * 3 + i], 0.7, 1.3)) chain
    let perGradient (r: McmcResult) = (r.Summary |> Seq.map (fun s -> s.BulkEss) |> Seq.min) / float r.GradientEvaluations
    Assert.True(perGradient dense > 3.0 * perGradient diagonal,
                sprintf "bulk ESS per gradient: dense %g, diagonal %g" (perGradient dense) (perGradient diagonal))

[<Fact>]
let ``a dense metric for a target above 2,000 dimensions is refused with the size named`` () =
    engine ()
    let target = LogDensity.FromBatchedFunction(2001, (fun x -> -x.square().sum(1L)), cpu64)
    let e = Assert.Throws<ArgumentException>(fun () ->
        NoUTurnSampler.Sample(target, HmcOptions(Samples = 5, Warmup = 5, DenseMassMatrix = true)) |> ignore)
    Assert.Contains("DenseMassMatrix", e.Message)
    Assert.Contains("2001", e.Message)
    Assert.Contains("2000", e.Message)

/// An elementwise density (an anisotropic Gaussian, no matrix product, so a row's value is bitwise the same whatever rows
/// share its call) that records the rows each call carries.
let private countingGaussian (perCall: ResizeArray<int64>) batched =
    let scales = cpu64.Tensor([| 1.0; 3.0; 0.5 |], 3L)
    let density (x: torch.Tensor) = -0.5 * (x / scales).square().sum(-1L)
    if batched then LogDensity.FromBatchedFunction(3, (fun x -> perCall.Add x.shape[0]; density x), cpu64, "counted")
    else LogDensity.FromFunction(3, (fun x -> perCall.Add 1L; density x), cpu64, "rows")

[<Fact>]
let ``NUTS evaluates every waiting chain in one call, no chain waits for another, and a chain's draws do not depend on the others`` () =
    setup ()
    let options = HmcOptions(Samples = 60, Warmup = 60, Chains = 4, Seed = 5L)
    let perCall = ResizeArray<int64>()
    use batched = NoUTurnSampler.Sample(countingGaussian perCall true, options)
    // Every gradient evaluation is one row of some call, and every call is counted.
    Assert.Equal(batched.GradientEvaluations, Seq.sum perCall)
    Assert.Equal(batched.TargetCalls, int64 perCall.Count)
    // Asynchronous chains: a call carries fewer than all 4 chains only once a chain has finished its whole run, so the rows
    // per call never grow again (in lockstep they would drop to 1-3 inside every iteration and return to 4 at the next).
    let increases = perCall |> Seq.pairwise |> Seq.filter (fun (a, b) -> b > a) |> Seq.length
    Assert.True((increases = 0), sprintf "rows per call grew %d times: chains waited for each other" increases)
    // And batched: a scheduler running one chain after another would also never grow. The first call with fewer rows comes
    // when the shortest run ends, after more than half of the calls unless one chain needed under half another's gradients.
    Assert.True(perCall |> Seq.take (perCall.Count / 2) |> Seq.forall ((=) 4L), sprintf "rows per call %A" (List.ofSeq perCall))
    // Each chain's gradients are one row of each call from the second on, as long as it runs: the call after the start
    // numbered i carries one row for every chain that needed at least i gradients (a chain counted in the wrong phase, or
    // a request answered twice, breaks this).
    let totals = batched.GradientsPerChain |> Seq.map (fun g -> g.Total) |> Array.ofSeq
    Assert.Equal(batched.GradientEvaluations, int64 options.Chains + Array.sum totals)
    let expectedRows = [ for i in 1L .. Array.max totals -> totals |> Array.filter (fun t -> t >= i) |> Array.length |> int64 ]
    Assert.Equal<int64 list>(expectedRows, perCall |> Seq.skip 1 |> List.ofSeq)
    Assert.True(batched.GradientsPerChain |> Seq.forall (fun g -> g.Warmup > 0L && g.Sampling > 0L))
    // The same density evaluated row by row gives the same draws to the bit: no chain sees another's rows.
    use oneByOne = NoUTurnSampler.Sample(countingGaussian (ResizeArray()) false, options)
    Assert.Equal<float[]>(values batched.Samples, values oneByOne.Samples)
    Assert.Equal(batched.Divergences, oneByOne.Divergences)

[<Fact>]
let ``static HMC without step-size adaptation spends exactly L gradients per iteration, in warm-up and in sampling`` () =
    setup ()
    let options = HmcOptions(Samples = 30, Warmup = 20, Chains = 3, LeapfrogSteps = 7, StepSize = 0.2, AdaptStepSize = false,
                             RandomizeSteps = false, Seed = 3L)
    use run = HamiltonianMonteCarlo.Sample(countingGaussian (ResizeArray()) true, options)
    Assert.Equal(0, run.Divergences)
    for g in run.GradientsPerChain do
        Assert.Equal(ChainGradients(20L * 7L, 30L * 7L), g)
    Assert.Equal(3L + 3L * 50L * 7L, run.GradientEvaluations)
