/// The variational families lowRank k, fullRank and concreteDropout: declared in F# and in C# they build the same
/// objects (identical outputs with the same seed), they fit, and a misfit is a BayesError naming the layer and sizes.
module BayesDL.Tests.Dsl.FamilyTests

open System
open Xunit
open BayesDL.Builders
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Layers
open BayesDL.Tests.TestSupport
open TorchSharp

let private orFail r = r |> Result.defaultWith (fun (e: BayesError) -> failwith e.Message)

let private sameOutputs (family: VariationalFamily) (fsharpFamily: VariationalFamily) (fsharpNet: Layer) (csharp: SequentialBuilder) =
    engine ()
    NativeEngine.Seed 4L
    use x = torch.randn(5L, 3L, dtype = torch.ScalarType.Float64)
    NativeEngine.Seed 77L
    use fromCSharp = csharp.WithVariational(family).WithLikelihood(Likelihoods.Gaussian 0.5).Build(cpu64)
    let a = values (fromCSharp.Forward x)  // a stochastic pass: weight (or mask) noise from the seeded generator
    NativeEngine.Seed 77L
    let fromFSharp = model { network fsharpNet; likelihood (gaussianWith 0.5); variational fsharpFamily } |> Model.buildOn cpu64 |> orFail
    use _ = fromFSharp.Core
    Assert.Equal<float[]>(a, values (fromFSharp.Forward x))
    // A second pass draws new noise: the equality above is not the equality of deterministic networks.
    Assert.NotEqual<float[]>(a, values (fromFSharp.Forward x))
    fromFSharp.Core.Network

[<Fact>]
let ``lowRank declared in F# and C# builds identical correlated layers`` () =
    let net = sameOutputs (VariationalFamily.LowRank 2) (lowRank 2) (bayesLinear 3L 8L >> Activation.relu >> bayesLinear 8L 2L)
                          (ModelBuilder.Sequential().BayesLinear(3L, 8L).Relu().BayesLinear(8L, 2L))
    Assert.All(net.VariationalLayers, fun l -> Assert.Equal(2, (l :?> MultivariateBayesLinear).Options.Rank))

[<Fact>]
let ``fullRank declared in F# and C# builds identical full-covariance layers`` () =
    let net = sameOutputs VariationalFamily.FullRank fullRank (bayesLinear 3L 4L >> Activation.tanh >> bayesLinear 4L 2L)
                          (ModelBuilder.Sequential().BayesLinear(3L, 4L).Tanh().BayesLinear(4L, 2L))
    Assert.All(net.VariationalLayers, fun l -> Assert.Equal(0, (l :?> MultivariateBayesLinear).Options.Rank))

[<Fact>]
let ``concreteDropout declared in F# and C# wraps every weight layer identically`` () =
    let net = sameOutputs VariationalFamily.ConcreteDropout concreteDropout (linear 3L 8L >> Activation.relu >> linear 8L 2L)
                          (ModelBuilder.Sequential().Linear(3L, 8L).Relu().Linear(8L, 2L))
    Assert.Equal(2, net.VariationalLayers.Count)

[<Fact>]
let ``fullRank on an oversized layer is an UnsupportedFamily BayesError naming the layer and its parameter count`` () =
    let declared = bayes { network (bayesLinear 64L 64L >> Activation.relu >> bayesLinear 64L 1L);
                           likelihood (gaussianWith 1.0); variational fullRank }
    match Model.validate declared with
    | Error(UnsupportedFamily(layer, message)) ->
        // 64 x 64 + 64 = 4160 parameters > 2048; the second layer (65) fits.
        Assert.Equal("BayesLinear(64 -> 64)", layer)
        for part in [ "4160 weights"; "4160 x 4160"; "lowRank" ] do Assert.Contains(part, message)
    | other -> failwithf "expected one UnsupportedFamily, got %A" other

[<Fact>]
let ``a concrete-dropout model's KL is the paper's closed form and fitting learns the rates`` () =
    engine ()
    NativeEngine.Seed 8L
    let x = torch.rand(64L, 2L, dtype = torch.ScalarType.Float64)
    let y = x.sum(1L, keepdim = true) + 0.05 * torch.randn(64L, 1L, dtype = torch.ScalarType.Float64)
    use data = new BayesDL.Data.LabeledData(x, y)
    let declared = bayes { network (linear 2L 16L >> Activation.relu >> linear 16L 1L); likelihood (gaussianWith 0.1);
                           prior (Normal(0., 2.)); variational concreteDropout }
    let built = Model.buildOn cpu64 declared |> orFail
    use _ = built.Core
    // KL = sum over layers l^2/2 ||W||^2 / (1 - p) + l^2/2 ||b||^2 - K H(p), with l = 1/s0 = 0.5 for the prior N(0, 2^2).
    let expected =
        built.Core.Network.VariationalLayers
        |> Seq.sumBy (fun l ->
            let c = l :?> VariationalConcreteDropout
            let lin = c.Dropout.Layer :?> Modules.Linear
            let p = c.DropoutProbability
            let entropy = -p * log p - (1.0 - p) * log (1.0 - p)
            0.125 * scalar (lin.weight.square().sum()) / (1.0 - p) + 0.125 * scalar (lin.bias.square().sum())
            - float c.Dropout.InputFeatures * entropy)
    Assert.Equal(expected, scalar (built.Core.Network.KL()), 10)
    let before = built.Core.Network.VariationalLayers
                 |> Seq.map (fun l -> (l :?> VariationalConcreteDropout).DropoutProbability) |> List.ofSeq
    let epochs = built.Core.Fit(data, VariationalFitOptions(Epochs = 40, BatchSize = 32, LearningRate = 0.02, Seed = 1L))
    Assert.True(epochs[epochs.Count - 1].MeanLoss < epochs[0].MeanLoss, "the loss decreases")
    let after = built.Core.Network.VariationalLayers
                |> Seq.map (fun l -> (l :?> VariationalConcreteDropout).DropoutProbability) |> List.ofSeq
    Assert.All(List.zip before after, fun (b, a) -> Assert.NotEqual(b, a, 6))
