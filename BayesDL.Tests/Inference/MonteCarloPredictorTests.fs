module BayesDL.Tests.Inference.MonteCarloPredictorTests

open System
open Xunit
open TorchSharp
open BayesDL.Engine
open BayesDL.Inference
open BayesDL.Layers
open BayesDL.Objectives
open BayesDL.Tests.TestSupport
open BayesDL.Predictive

type Module = torch.nn.Module<torch.Tensor, torch.Tensor>

let private maxAbs (a: torch.Tensor) (b: torch.Tensor) = scalar ((a - b).abs().max())

/// A float64 MLP with input dropout 0.2 and hidden dropout 0.5; returns the model and its two MC layers.
let private mlp () =
    let d1, d2 = BayesNN.MCDropout(0.2), BayesNN.MCDropout(0.5)
    let model =
        torch.nn.Sequential([| d1 :> Module; torch.nn.Linear(6L, 8L); torch.nn.ReLU(); d2; torch.nn.Linear(8L, 3L) |])
    model.``to``(torch.ScalarType.Float64) |> ignore
    model, d1, d2

/// Explicit keep masks [T, N, F] for one layer (Bernoulli(keep), seeded).
let private masks (t: int64) (n: int64) (f: int64) (keep: float) =
    torch.empty([| t; n; f |], dtype = torch.ScalarType.Float64).bernoulli_(keep)

/// The order in which the vectorized predictor visits (input chunk, sample group): inputs outer, samples
/// inner, each pass holding rows [t·count + i] = sample s0 + t of input start + i. A mask source that
/// follows it hands every pass the slice of the preset masks that belongs to its rows.
let private vectorizedSource (m: torch.Tensor) (samples: int64) (n: int64) (rows: int64) =
    let group = min samples rows
    let chunk = max 1L (rows / group)
    let plan =
        [ for start in 0L .. chunk .. n - 1L do
            for s0 in 0L .. group .. samples - 1L do
                yield start, min chunk (n - start), s0, min group (samples - s0) ]
    let mutable k = 0
    Func<int64[], torch.Tensor>(fun shape ->
        let start, count, s0, g = plan[k]
        k <- k + 1
        let slice = m.narrow(0L, s0, g).narrow(1L, start, count)
        slice.reshape([| g * count; shape[1] |]))

/// Hands pass t of the plain loop the masks of sample t.
let private loopSource (m: torch.Tensor) =
    let mutable t = 0L
    Func<int64[], torch.Tensor>(fun _ ->
        let slice = m[t]
        t <- t + 1L
        slice)

let private compareWithLoop (rows: int64) =
    engine ()
    NativeEngine.Seed 21L
    let model, d1, d2 = mlp ()
    let T, N = 7L, 5L
    use x = torch.randn([| N; 6L |], dtype = torch.ScalarType.Float64)
    use m1 = masks T N 6L 0.8
    use m2 = masks T N 8L 0.5
    d1.MaskSource <- vectorizedSource m1 T N rows
    d2.MaskSource <- vectorizedSource m2 T N rows
    use vectorized = MonteCarloPredictor(model, options = MonteCarloPredictionOptions(MaxRowsPerPass = Nullable rows)).Predict(x, int T)
    d1.MaskSource <- loopSource m1
    d2.MaskSource <- loopSource m2
    use looped = MonteCarloPredictor(model, options = MonteCarloPredictionOptions(Vectorized = false)).Predict(x, int T)
    Assert.Equal<int64[]>([| T; N; 3L |], vectorized.Samples.shape)
    Assert.True(maxAbs vectorized.Samples looped.Samples < 1e-12, $"samples differ by {maxAbs vectorized.Samples looped.Samples}")
    Assert.True(maxAbs (vectorized.PredictiveEntropy()) (looped.PredictiveEntropy()) < 1e-12)
    Assert.True(maxAbs (vectorized.MutualInformation()) (looped.MutualInformation()) < 1e-12)
    // The masks really vary between samples, so equality is not a property of a deterministic network.
    Assert.True(scalar (looped.MutualInformation().sum()) > 1e-6)

[<Fact>]
let ``vectorized T-sample prediction equals T separate passes with the same dropout masks`` () = compareWithLoop (7L * 5L)

[<Fact>]
let ``chunking over inputs and over samples gives the same predictions as one pass`` () =
    compareWithLoop (7L * 2L) // chunks of 2, 2, 1 inputs with all 7 samples each
    compareWithLoop 3L        // one input per pass, samples in groups of 3, 3, 1

/// Linear + ReLU + MCDropout + Linear: the first two layers are the shared deterministic prefix.
let private comparePrefixWithLoop (rows: int64) =
    engine ()
    NativeEngine.Seed 23L
    let drop = BayesNN.MCDropout(0.5)
    let model = torch.nn.Sequential([| torch.nn.Linear(6L, 8L) :> Module; torch.nn.ReLU(); drop; torch.nn.Linear(8L, 3L) |])
    model.``to``(torch.ScalarType.Float64) |> ignore
    let T, N = 6L, 4L
    use x = torch.randn([| N; 6L |], dtype = torch.ScalarType.Float64)
    use m = masks T N 8L 0.5
    drop.MaskSource <- vectorizedSource m T N rows
    let predictor = MonteCarloPredictor(model, options = MonteCarloPredictionOptions(MaxRowsPerPass = Nullable rows))
    Assert.Equal(2, predictor.DeterministicPrefix)
    use vectorized = predictor.Predict(x, int T)
    drop.MaskSource <- loopSource m
    use looped = MonteCarloPredictor(model, options = MonteCarloPredictionOptions(Vectorized = false)).Predict(x, int T)
    Assert.True(maxAbs vectorized.Samples looped.Samples < 1e-12, $"samples differ by {maxAbs vectorized.Samples looped.Samples}")
    Assert.True(scalar (looped.MutualInformation().sum()) > 1e-6)

[<Fact>]
let ``leading deterministic layers run once per input and the result still equals T passes with the same masks`` () =
    comparePrefixWithLoop (6L * 4L) // one pass
    comparePrefixWithLoop (6L * 3L) // prefix over 3 + 1 inputs; passes of 3 inputs x 6 samples, then 1 input
    comparePrefixWithLoop 4L        // prefix over 4 inputs; one input per pass, samples in groups of 4, 2

[<Fact>]
let ``vectorized prediction without explicit masks has the loop's distribution`` () =
    // Input [1, 1] through MCDropout(0.5) then Linear(1, 1) with weight 1: each sample is 0 or 2, so the
    // mean over T = 4000 samples is 2·Binomial(4000, 1/2)/4000, SE = 2·sqrt(0.25/4000) = 0.0158; 5 SE = 0.079.
    engine ()
    NativeEngine.Seed 22L
    let lin = torch.nn.Linear(1L, 1L, hasBias = false)
    use _ = torch.no_grad()
    lin.weight.fill_(1.0) |> ignore
    let model = torch.nn.Sequential([| BayesNN.MCDropout(0.5) :> Module; lin |])
    use x = torch.ones(1L, 1L)
    use out = MonteCarloPredictor(model, Likelihood.Gaussian(GaussianNoise.Fixed, 1.0)).SampleOutputs(x, 4000)
    Assert.Equal<int64[]>([| 4000L; 1L; 1L |], out.shape)
    Assert.All(values out, fun v -> Assert.True(v = 0.0 || v = 2.0))
    Assert.InRange(scalar (out.mean()), 1.0 - 0.079, 1.0 + 0.079)

[<Fact>]
let ``the memory budget sets the replicated rows per pass`` () =
    engine ()
    let model = torch.nn.Sequential([| BayesNN.MCDropout(0.5) :> Module; torch.nn.Linear(784L, 400L);
                                       torch.nn.ReLU(); torch.nn.Linear(400L, 10L) |])
    use x = torch.rand(16L, 784L)
    let rows (mb: float) = MonteCarloPredictor(model, options = MonteCarloPredictionOptions(MemoryBudgetMB = mb)).RowsPerPass(x)
    let r1, r4 = rows 1.0, rows 4.0
    // One row holds at least its input and mask (2 x 784 float32) and at most a few dozen row-sized tensors.
    Assert.InRange(r1, 1024L * 1024L / (4L * 40000L), 1024L * 1024L / (4L * 2L * 784L))
    Assert.InRange(r4, 4L * r1 - 4L, 4L * r1 + 4L)
    Assert.Equal(123L, MonteCarloPredictor(model, options = MonteCarloPredictionOptions(MaxRowsPerPass = Nullable 123L)).RowsPerPass(x))

[<Fact>]
let ``heteroscedastic regression separates aleatoric and epistemic variance`` () =
    // Output [mean, raw scale]: mean = sum of the 4 dropped-and-rescaled inputs (all 1); noise sigma =
    // softplus(raw) + 1e-6 fixed at 0.5 (aleatoric variance 0.25). With masks all-kept and all-dropped the two means are 8 and 0:
    // epistemic = var([8, 0]) = 16, aleatoric = 0.25, predictive mean 4.
    engine ()
    let drop = BayesNN.MCDropout(0.5)
    let lin = torch.nn.Linear(4L, 2L)
    lin.``to``(torch.ScalarType.Float64) |> ignore
    (use _ = torch.no_grad()
     lin.weight.copy_(cpu64.Tensor([| 1.0; 1.0; 1.0; 1.0; 0.0; 0.0; 0.0; 0.0 |], 2L, 4L)) |> ignore
     lin.bias.copy_(torch.tensor([| 0.0; Math.Log(Math.Exp(0.5 - 1e-6) - 1.0) |], dtype = torch.ScalarType.Float64)) |> ignore)
    let model = torch.nn.Sequential([| drop :> Module; lin |])
    use m = cpu64.Tensor([| 1.0; 1.0; 1.0; 1.0; 0.0; 0.0; 0.0; 0.0 |], 2L, 1L, 4L)
    drop.MaskSource <- vectorizedSource m 2L 1L 2L
    use x = torch.ones([| 1L; 4L |], dtype = torch.ScalarType.Float64)
    use p = MonteCarloPredictor(model, Likelihood.Gaussian(GaussianNoise.Heteroscedastic),
                                MonteCarloPredictionOptions(MaxRowsPerPass = Nullable 2L)).Predict(x, 2)
    Assert.Equal(4.0, scalar (p.Mean()), 12)
    Assert.Equal(0.25, scalar (p.AleatoricVariance()), 12)
    Assert.Equal(16.0, scalar (p.EpistemicVariance()), 12)
    Assert.Equal(16.25, scalar (p.TotalVariance()), 12)

[<Fact>]
let ``the predictor restores the model's training mode and rejects bad arguments`` () =
    engine ()
    let model, _, _ = mlp ()
    model.train()
    use x = torch.randn([| 3L; 6L |], dtype = torch.ScalarType.Float64)
    let predictor = MonteCarloPredictor(model)
    use p = predictor.Predict(x, 4)
    Assert.True(model.training)
    let e = Assert.Throws<ArgumentException>(fun () -> predictor.Predict(x, 0) |> ignore)
    Assert.Contains("'samples'", e.Message)
    Assert.Throws<ArgumentException>(fun () ->
        MonteCarloPredictor(model, options = MonteCarloPredictionOptions(MemoryBudgetMB = -1.0)) |> ignore) |> ignore
