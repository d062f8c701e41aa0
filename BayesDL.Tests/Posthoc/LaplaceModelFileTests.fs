/// A Laplace posterior saved by ModelFile and loaded back predicts, samples and scores its evidence as before; the F# block
/// and the C# fluent face give the core's options.
module BayesDL.Tests.Posthoc.LaplaceModelFileTests

open System.IO
open Xunit
open TorchSharp
open BayesDL.Builders
open BayesDL.Data
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Models
open BayesDL.Posthoc
open BayesDL.Predictive
open BayesDL.Validation
open BayesDL.Tests.TestSupport

type Module = torch.nn.Module<torch.Tensor, torch.Tensor>

let private f64 = torch.ScalarType.Float64

let private network () =
    NativeEngine.Seed 31L
    torch.nn.Sequential(
        [| torch.nn.Linear(3L, 5L, dtype = f64) :> Module; torch.nn.ReLU(); torch.nn.Linear(5L, 4L, dtype = f64) |])

[<Fact>]
let ``every structure survives a model-file round trip: precision, evidence, prior and predictive alike`` () =
    engine ()
    use dir = new TempDir()
    NativeEngine.Seed 32L
    use data = new LabeledData(torch.randn(40L, 3L, dtype = f64), torch.randint(4L, [| 40L |], dtype = torch.ScalarType.Int64))
    use test = torch.randn(6L, 3L, dtype = f64)
    for structure in [ HessianStructure.Diagonal; HessianStructure.Kron; HessianStructure.Full; HessianStructure.LowRank ] do
        let o = LaplaceOptions(Subset = LaplaceSubset.AllWeights, Hessian = structure, Rank = 5, TunePrior = true,
                               PriorScope =
                                   (if structure = HessianStructure.LowRank then PriorPrecisionScope.Global
                                    else PriorPrecisionScope.PerLayer),
                               Predictive = LaplacePredictiveKind.Sampling, Samples = 7)
        use la = LaplacePosterior.Fit(network (), Likelihood.Categorical(), data, o)
        let path = Path.Combine(dir.Path, sprintf "%A.bdl" structure)
        ModelFile.SaveLaplace(la, path)
        Assert.Equal(ModelFileKind.Laplace, ModelFile.KindOf path)
        use back = ModelFile.LoadLaplace(path, cpu64)
        Assert.Equal<float>(la.PriorPrecision, back.PriorPrecision)
        Assert.Equal(la.LogEvidence, back.LogEvidence)
        Assert.Equal(0.0, scalar ((la.Precision() - back.Precision()).abs().max()))
        use p1 = la.Predict(test)
        use p2 = back.Predict(test)
        Assert.Equal(0.0, scalar ((p1.Samples - p2.Samples).abs().max()))
        // a Laplace file is not a network's
        let e = Assert.Throws<FileFormatException>(fun () -> ModelFile.Load(path) |> ignore)
        Assert.Contains("LoadLaplace", e.Message)

[<Fact>]
let ``a Gaussian posterior keeps its tuned noise through the file`` () =
    engine ()
    use dir = new TempDir()
    NativeEngine.Seed 33L
    use data = new LabeledData(torch.randn(30L, 3L, dtype = f64), torch.randn(30L, 4L, dtype = f64))
    use la = LaplacePosterior.Fit(network (), Likelihood.Gaussian(GaussianNoise.Fixed, 1.0), data,
                                  LaplaceOptions(TuneNoise = true, TunePrior = true))
    let path = Path.Combine(dir.Path, "gaussian.bdl")
    ModelFile.SaveLaplace(la, path)
    use back = ModelFile.LoadLaplace(path, cpu64)
    Assert.Equal(la.NoiseSigma.Value, back.NoiseSigma.Value, 15)
    Assert.NotEqual(1.0, back.NoiseSigma.Value)
    Assert.Equal(la.LogEvidence, back.LogEvidence, 10)

[<Fact>]
let ``the laplace block and the fluent builder give the options they name`` () =
    let s = laplace { subset allWeights; hessian lowRankGgn; rank 7; predictive weightSampling; tunePriorPerLayer; samples 9 }
    let o = s.ToOptions()
    Assert.Equal(LaplaceSubset.AllWeights, o.Subset)
    Assert.Equal(HessianStructure.LowRank, o.Hessian)
    Assert.Equal(7, o.Rank)
    Assert.Equal(LaplacePredictiveKind.Sampling, o.Predictive)
    Assert.True(o.TunePrior)
    Assert.Equal(PriorPrecisionScope.PerLayer, o.PriorScope)
    Assert.Equal(9, o.Samples)
    Assert.Equal(LaplaceOptions(), (laplace { subset lastLayer }).ToOptions())
    let d = laplace { subset lastLayer; hessian kfac; predictive glm; tunePrior }
    Assert.Equal(LaplaceOptions(TunePrior = true), d.ToOptions())
    engine ()
    let declaration = ModelBuilder.Sequential().Input(3L).Linear(3L, 4L).Relu().Linear(4L, 2L).WithLikelihood(Likelihoods.Categorical())
    use network = declaration.BuildNetwork(cpu64)
    let fluent = declaration.Laplace(network).AllWeights().Diagonal().Sampling(11).TunePrior()
    NativeEngine.Seed 35L
    use data = new LabeledData(torch.randn(10L, 3L, dtype = f64), torch.randint(2L, [| 10L |], dtype = torch.ScalarType.Int64))
    use la = fluent.Fit data
    Assert.Equal(26L, la.Dimension)
    let fluent = fluent.Options
    Assert.Equal(LaplaceOptions(Subset = LaplaceSubset.AllWeights, Hessian = HessianStructure.Diagonal,
                                Predictive = LaplacePredictiveKind.Sampling, Samples = 11, TunePrior = true), fluent)

[<Fact>]
let ``the F# fit returns an Error naming a Bayesian layer`` () =
    engine ()
    NativeEngine.Seed 34L
    use data = new LabeledData(torch.randn(10L, 3L), torch.randint(2L, [| 10L |], dtype = torch.ScalarType.Int64))
    let fitted =
        model { network (linear 3L 4L >> Activation.relu >> bayesLinear 4L 2L); likelihood categorical }
        |> Model.fitVariational (vi { epochs 1 }) ComputePolicy.Cpu data
        |> Result.defaultWith (fun e -> failwith e.Message)
    match Laplace.fit (laplace { subset lastLayer }) data fitted with
    | Error(InvalidParameter(_, message)) -> Assert.Contains("of type BayesLinear", message)
    | other -> failwithf "expected an InvalidParameter error, got %A" other
