module BayesDL.Tests.Mcmc.McmcDslTests

open Xunit
open TorchSharp
open BayesDL.Dsl
open BayesDL.Mcmc
open BayesDL.Tests.TestSupport

let private data () =
    let x = cpu64.Tensor([| for i in 0 .. 19 -> -1.0 + 0.1 * float i |], 20L)
    let design = torch.stack([| torch.ones_like x; x |], 1L)
    design, 1.0 - 2.0 * x + 0.3 * torch.sin(7.0 * x)

[<Fact>]
let ``the mcmc block declares the core's options field by field`` () =
    let s = mcmc { samples 300; warmup 150; chains 3; stepSize 0.05; leapfrogSteps 7; targetAcceptance 0.9; fixedSteps; unitMass; seed 4L }
    Assert.Equal(HmcOptions(Samples = 300, Warmup = 150, Chains = 3, StepSize = 0.05, LeapfrogSteps = 7, TargetAcceptance = 0.9,
                            RandomizeSteps = false, AdaptMassMatrix = false, Seed = 4L), s.ToOptions())
    Assert.Equal(HmcOptions(), (mcmc { () }).ToOptions())
    Assert.False((mcmc { fixedStepSize }).AdaptStepSize)
    let n = nuts { maxTreeDepth 6; samples 50 }
    Assert.Equal(Nuts, n.Algorithm)
    Assert.Equal(StaticHmc, (mcmc { () }).Algorithm)
    Assert.Equal(HmcOptions(Samples = 50, MaxTreeDepth = 6), n.ToOptions())
    Assert.Equal(HmcOptions(DenseMassMatrix = true), (nuts { denseMass }).ToOptions())

[<Fact>]
let ``Hmc.sample gives the core sampler's draws as records, and bad settings as a BayesError`` () =
    engineOneThread ()
    let design, y = data ()
    let settings = mcmc { samples 60; warmup 40; chains 2; leapfrogSteps 4; seed 8L }
    match Hmc.sample settings (Hmc.linearRegression 0.5 1.0 design y) with
    | Error e -> failwith e.Message
    | Ok run ->
        use core = HamiltonianMonteCarlo.Sample(LogDensity.BayesianLinearRegression(design, y, 0.5, 1.0), settings.ToOptions())
        Assert.Equal<float[]>(values core.Samples, run.Draws |> Array.concat |> Array.concat)
        Assert.Equal(2, run.Parameters.Length)
        Assert.Equal(core.Summary[1].RHat, run.Parameters[1].RHat)
        Assert.Equal(core.AcceptanceRate, run.AcceptanceRate)
    match Hmc.sample (nuts { samples 30; warmup 20; chains 1; seed 8L }) (Hmc.linearRegression 0.5 1.0 design y) with
    | Ok run ->
        use core = NoUTurnSampler.Sample(LogDensity.BayesianLinearRegression(design, y, 0.5, 1.0),
                                         HmcOptions(Samples = 30, Warmup = 20, Chains = 1, Seed = 8L))
        Assert.Equal<float[]>(values core.Samples, run.Draws |> Array.concat |> Array.concat)
        Assert.Equal<ChainGradients list>(List.ofSeq core.GradientsPerChain, run.GradientsPerChain)
        Assert.Equal(run.GradientEvaluations, 1L + (run.GradientsPerChain |> List.sumBy (fun g -> g.Total)))
    | Error e -> failwith e.Message
    match Hmc.sample (mcmc { chains 0 }) (Hmc.linearRegression 0.5 1.0 design y) with
    | Error(InvalidParameter(_, message)) -> Assert.Contains("'Chains'", message)
    | other -> failwithf "expected InvalidParameter, got %A" other

[<Fact>]
let ``a target with its gradient in closed form samples as the same density differentiated by autograd`` () =
    engineOneThread ()
    // An anisotropic Gaussian, elementwise, so its closed form and autograd agree to the last bit on every row.
    let scales = cpu64.Tensor([| 1.0; 0.25 |], 2L)
    let logDensity (x: torch.Tensor) = -0.5 * (x / scales).square().sum(1L)
    let closed = Hmc.targetWithGradient 2 logDensity (fun x -> logDensity x, -(x / scales.square()))
    Assert.True closed.HasClosedFormGradient
    Assert.False (Hmc.batchedTarget 2 logDensity).HasClosedFormGradient
    let settings = nuts { samples 80; warmup 60; chains 2; seed 3L }
    match Hmc.sample settings closed, Hmc.sample settings (Hmc.batchedTarget 2 logDensity) with
    | Ok a, Ok b ->
        let flat (run: McmcRun) = run.Draws |> Array.concat |> Array.concat
        Assert.Equal(flat b |> Array.length, flat a |> Array.length)
        Array.iter2 (fun (u: float) v -> Assert.Equal(v, u, 12)) (flat a) (flat b)
    | Error e, _ | _, Error e -> failwith e.Message
