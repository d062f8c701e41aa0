/// The DSL's fits are typed Result: a fit that fails for an expected reason (a loss that became NaN, a checkpoint that
/// cannot be resumed) comes back as an Error value, not as an exception.
module BayesDL.Tests.Dsl.TrainingResultTests

open Xunit
open BayesDL.Dsl
open BayesDL.Engine
open BayesDL.Tests.TestSupport
open TorchSharp

let private classifier hidden =
    bayes {
        network (bayesLinear 6L hidden >> relu >> bayesLinear hidden 3L)
        likelihood categorical
    }

let private data (poisoned: bool) =
    NativeEngine.Seed 3L
    let x = torch.rand(32L, 6L, dtype = torch.ScalarType.Float64)
    if poisoned then x[20L, 2L] <- torch.tensor(nan, dtype = torch.ScalarType.Float64)
    let y = torch.randint(0L, 3L, [| 32L |], dtype = torch.ScalarType.Int64)
    new BayesDL.Data.LabeledData(x, y)

[<Fact>]
let ``a loss that becomes NaN is a TrainingDiverged error naming the step`` () =
    engine ()
    use poisoned = data true
    match classifier 8L |> Model.fitVariational (vi { epochs 1; batchSize 16 }) cpu64 poisoned with
    | Error(TrainingDiverged message) -> Assert.Contains("at step 2 (epoch 1, minibatch 2 of 2)", message)
    | other -> failwithf "expected TrainingDiverged, got %A" other

[<Fact>]
let ``a checkpoint written for another architecture is a CheckpointError naming the file`` () =
    engine ()
    use dir = new TempDir()
    let path = dir.File "fit.ckpt"
    use clean = data false
    let settings = vi { epochs 1; batchSize 16; checkpoint path }
    match classifier 8L |> Model.fitVariational settings cpu64 clean with
    | Ok fitted -> fitted.Model.Core.Dispose()
    | Error e -> failwith e.Message
    // The same file, resumed by a network with 5 hidden units instead of 8.
    match classifier 5L |> Model.fitVariational settings cpu64 clean with
    | Error(CheckpointError(file, message)) ->
        Assert.Equal(path, file)
        Assert.Contains(path, message)
    | other -> failwithf "expected CheckpointError, got %A" other
