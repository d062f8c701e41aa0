/// `swag { }` and `sgmcmc { }` build the core's options records, and the DSL's fits return the core's refusals as a BayesError.
module BayesDL.Tests.Dsl.PosteriorDslTests

open Xunit
open TorchSharp
open BayesDL.Data
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Mcmc
open BayesDL.Swag
open BayesDL.Tests.TestSupport

[<Fact>]
let ``swag { } is the core's SwagOptions with the declared fields and the core's defaults elsewhere`` () =
    let options: SwagOptions = swag { rank 5; burnIn 2; epochs 9; cycles 3; plainSgd }
    Assert.Equal(SwagOptions(Rank = 5, BurnInEpochs = 2, Epochs = 9, Cycles = 3, Optimizer = BayesDL.Training.OptimizerKind.Sgd), options)
    Assert.Equal(SwagOptions(), swag { () })

[<Fact>]
let ``sgmcmc { } is the core's SgmcmcOptions with the declared fields and the core's defaults elsewhere`` () =
    let options: SgmcmcOptions = sgmcmc { sampler sghmc; cycles 4; temperature 0.5; stepSize 1e-6; chains 2; exploration 0.25 }
    let expected =
        SgmcmcOptions(Sampler = SgmcmcKind.Sghmc, Cycles = 4, Temperature = 0.5, StepSize = 1e-6, Chains = 2, ExplorationFraction = 0.25)
    Assert.Equal(expected, options)
    Assert.Equal(SgmcmcKind.PreconditionedSgld, (sgmcmc { sampler psgld }).Sampler)
    Assert.Equal(SgmcmcOptions(), sgmcmc { () })

[<Fact>]
let ``a rank above the snapshots and a bad temperature come back as errors naming the values`` () =
    engineOneThread ()
    use data = new LabeledData(torch.randn(32L, 2L), torch.zeros(32L, dtype = torch.ScalarType.Int64))
    let declaration = model { network (linear 2L 4L >> Activation.relu >> linear 4L 2L); likelihood categorical }
    match declaration |> Swag.fit (swag { rank 20; epochs 10; burnIn 5; batchSize 32 }) ComputePolicy.Cpu data None with
    | Error(InvalidParameter(_, message)) ->
        Assert.Contains("rank K = 20", message)
        Assert.Contains("5 snapshots", message)
    | other -> failwithf "expected InvalidParameter, got %A" other
    match declaration |> Sgmcmc.sample (sgmcmc { temperature -1.0 }) ComputePolicy.Cpu data None with
    | Error(InvalidParameter(_, message)) -> Assert.Contains("Temperature", message)
    | other -> failwithf "expected InvalidParameter, got %A" other
