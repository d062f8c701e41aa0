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
        network (bayesLinear 6L hidden >> Activation.relu >> bayesLinear hidden 3L)
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

let private dropoutModel family =
    model {
        network (linear 6L 8L >> Activation.relu >> Dropout.mc 0.5 >> linear 8L 3L)
        likelihood categorical
        variational family
    }

[<Fact>]
let ``every fit typed Result returns an Error for NaN data instead of throwing`` () =
    engine ()
    let diverged name (result: Result<'T, BayesError>) =
        match result with
        | Error(TrainingDiverged message) -> Assert.Contains("NaN", message)
        | other -> failwithf "%s: expected TrainingDiverged, got %A" name other
    use poisoned = data true
    diverged "fitMCDropout" (dropoutModel meanField |> Model.fitMCDropout (mcDropout { epochs 1; batchSize 16 }) cpu64 poisoned)
    let deterministic = model { network (linear 6L 8L >> Activation.relu >> linear 8L 3L); likelihood categorical }
    diverged "Ensemble.fit" (deterministic |> Ensemble.fit (ensemble { members 2; epochs 1; batchSize 16 }) cpu64 poisoned)
    let autoencoder = vae { encoder (linear 6L 4L >> Activation.relu); decoder (linear 2L 6L); latent 2; likelihood (gaussianWith 1.0) }
    match Vae.buildOn cpu64 autoencoder with
    | Ok v ->
        use v = v
        // The VAE checks its input before the loss: NaN data is an InvalidParameter naming x and the element.
        match v |> Vae.fit (vi { epochs 1; batchSize 16 }) poisoned.Inputs with
        | Error(InvalidParameter(_, message)) ->
            Assert.Contains("parameter 'x' must be finite (not NaN or infinite); found NaN at index [", message)
        | other -> failwithf "Vae.fit: expected InvalidParameter, got %A" other
    | Error e -> failwith e.Message

[<Fact>]
let ``bad data and undeclared posteriors are Error values, not exceptions`` () =
    engine ()
    // Data of the wrong width: the core's input check names the parameter.
    use wide = new BayesDL.Data.LabeledData(torch.rand(8L, 7L, dtype = torch.ScalarType.Float64),
                                            torch.zeros(8L, dtype = torch.ScalarType.Int64))
    match classifier 4L |> Model.fitVariational (vi { epochs 1 }) cpu64 wide with
    | Error(InvalidParameter(_, message)) -> Assert.Contains("data.Inputs", message)
    | other -> failwithf "expected InvalidParameter, got %A" other
    // A declaration without a weight posterior validates as a network but cannot be a model.
    match model { network (linear 6L 3L); likelihood categorical } |> Model.buildOn cpu64 with
    | Error(Incomplete message) -> Assert.Contains("no weight posterior", message)
    | other -> failwithf "expected Incomplete, got %A" other

[<Fact>]
let ``fitMCDropout asks the core what a dropout model is: MC-dropout layers without Bayesian layers train under any Gaussian family`` () =
    engine ()
    use clean = data false
    // The old DSL refused this declaration (family lowRank), which the core's FitMCDropout accepts.
    match dropoutModel (lowRank 2) |> Model.fitMCDropout (mcDropout { epochs 1; batchSize 16 }) cpu64 clean with
    | Ok fitted -> fitted.Model.Core.Dispose()
    | Error e -> failwith e.Message
    match classifier 4L |> Model.fitMCDropout (mcDropout { epochs 1 }) cpu64 clean with
    | Error(UnsupportedFamily(_, message)) -> Assert.Contains("MeanField with Bayesian layers", message)
    | other -> failwithf "expected UnsupportedFamily, got %A" other
    match dropoutModel (dropout 0.2) |> Model.fitMCDropout (mcDropout { epochs 0 }) cpu64 clean with
    | Error(InvalidParameter(_, message)) -> Assert.Contains("MCDropoutFitOptions: parameter 'Epochs'", message)
    | other -> failwithf "expected InvalidParameter, got %A" other
