/// The F# DSL declares the same models as the C# fluent API (same objects, identical outputs) and
/// returns declaration mistakes as BayesError values naming the layer and shapes.
module BayesDL.Tests.Dsl.ModelTests

open Xunit
open BayesDL.Builders
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Tests.TestSupport
open TorchSharp

let private expectError (r: Result<'a, BayesError>) =
    match r with
    | Ok _ -> failwith "expected a BayesError, the declaration was accepted"
    | Error e -> e

[<Fact>]
let ``a shape mismatch in a model block is a ShapeMismatch naming the layer and both shapes`` () =
    let declared = model {
        network (linear 784L 400L >> relu >> linear 300L 10L)
        likelihood categorical
    }
    match Model.validate declared |> expectError with
    | ShapeMismatch(layer, message) ->
        Assert.Equal("Linear(300 -> 10)", layer)
        Assert.Contains("[300]", message)
        Assert.Contains("[400]", message)
    | other -> failwithf "expected ShapeMismatch, got %A" other

[<Fact>]
let ``a likelihood that does not fit the output layer is a LikelihoodMismatch`` () =
    let declared = bayes {
        layers [ linear 2L 16L; relu; linear 16L 1L ]
        likelihood categorical
    }
    match Model.validate declared |> expectError with
    | LikelihoodMismatch(layer, message) ->
        Assert.Equal("Linear(16 -> 1)", layer)
        Assert.Contains("[1]", message)
    | other -> failwithf "expected LikelihoodMismatch, got %A" other

[<Fact>]
let ``several mistakes come back together and a missing network is Incomplete`` () =
    match model { layers [ linear 0L 4L; dropoutLayer 2.0 ] } |> Model.validate |> expectError with
    | Several [ InvalidParameter _; InvalidParameter _ ] -> ()
    | other -> failwithf "expected two InvalidParameter, got %A" other
    match model { likelihood gaussian } |> Model.validate |> expectError with
    | Incomplete message -> Assert.Contains("network", message)
    | other -> failwithf "expected Incomplete, got %A" other

[<Fact>]
let ``the list form and the >> form declare the same layers as the C# builder`` () =
    let composed = model { network (linear 3L 4L >> relu >> linear 4L 2L) } |> Model.toBuilder
    let listed = model { layers [ linear 3L 4L; relu; linear 4L 2L ] } |> Model.toBuilder
    let fluent = ModelBuilder.Sequential().Linear(3L, 4L).Relu().Linear(4L, 2L)
    Assert.Equal<LayerSpec>(fluent.Layers, composed.Layers)
    Assert.Equal<LayerSpec>(fluent.Layers, listed.Layers)

[<Fact>]
let ``F# and C# declarations of the same model give identical outputs with the same seed`` () =
    engine ()
    let policy = cpu64
    NativeEngine.Seed 11L
    use x = torch.randn(8L, 5L, dtype = torch.ScalarType.Float64)
    NativeEngine.Seed 2026L
    use fromCSharp =
        ModelBuilder.Sequential().Linear(5L, 16L).Relu().Linear(16L, 16L).Tanh().Linear(16L, 3L)
            .WithLikelihood(Likelihoods.Categorical()).Build(policy)
    NativeEngine.Seed 2026L
    let fromFSharp =
        model {
            network (linear 5L 16L >> relu >> linear 16L 16L >> tanhAct >> linear 16L 3L)
            likelihood categorical
        }
        |> Model.buildOn policy
        |> Result.defaultWith (fun e -> failwith e.Message)
    use _ = fromFSharp.Core
    Assert.Equal<int64 list>([ 3L ], fromFSharp.OutputShape)
    let a = values (fromCSharp.Forward x)
    let b = values (fromFSharp.Forward x)
    Assert.Equal<float[]>(a, b)
    // A different seed gives different weights: the equality above is not vacuous.
    NativeEngine.Seed 7L
    use other = (Model.toBuilder fromFSharp.Declaration).Build(policy)
    Assert.NotEqual<float[]>(a, values (other.Forward x))

[<Fact>]
let ``inference settings blocks produce records with the declared values`` () =
    let s = vi { elbo analyticKL; samples 2; klWarmup 5; epochs 10 }
    Assert.Equal({ ViSettings.Default with Samples = 2; KlWarmupEpochs = 5; Epochs = 10 }, s)
    Assert.Equal(MonteCarloKL 16, (vi { elbo (monteCarloKL 16) }).Kl)
    Assert.Equal(100, (mcDropout { samples 100 }).Samples)
