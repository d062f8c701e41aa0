/// Temperature scaling recovers the temperature of synthetic over-confident logits: labels drawn from softmax(z), the model reporting
/// z * T0, so the maximum-likelihood temperature is T0 up to its standard error.
module BayesDL.Tests.Metrics.TemperatureScalingTests

open Xunit
open TorchSharp
open BayesDL.Metrics
open BayesDL.Tests.TestSupport

let private f64 = torch.ScalarType.Float64

/// N held-out rows of 5-class logits z ~ 2 N(0, 1), labels y ~ Categorical(softmax(z)), and the over-confident logits z * t0.
let private synthetic n t0 =
    engineOneThread ()
    BayesDL.Engine.NativeEngine.Seed 4L
    let z = torch.randn(int64 n, 5L, dtype = f64) * 2.0
    let y = torch.multinomial(z.softmax(-1L), 1L).squeeze(1L)
    z, y, z * t0

/// The NLL of softmax(logits / T) as a function of u = log T, and its second derivative by central differences.
let private nll (logits: torch.Tensor) (y: torch.Tensor) (u: float) =
    let scaled: torch.Tensor = logits / System.Math.Exp u
    -(scaled.log_softmax(-1L).gather(1L, y.unsqueeze(1L)).sum() |> scalar)

[<Fact>]
let ``temperature scaling recovers the temperature of over-confident logits within three standard errors`` () =
    let t0 = 2.5
    let _, y, overconfident = synthetic 4000 t0
    let fitted = TemperatureScaling.Fit(overconfident, y)
    // The MLE of u = log T has variance 1 / I(u), I the observed information: the summed NLL's second derivative at the optimum.
    let u = log fitted.Temperature
    let h = 1e-3
    let information = (nll overconfident y (u + h) - 2.0 * nll overconfident y u + nll overconfident y (u - h)) / (h * h)
    let se = 1.0 / sqrt information
    Assert.True(abs (u - log t0) < 3.0 * se, sprintf "log T %.4f, true %.4f, 3 SE %.4f" u (log t0) (3.0 * se))
    // Applied, the scaled logits give back the calibrated probabilities.
    use calibrated = fitted.Apply overconfident
    Assert.Equal(1L, calibrated.SampleCount)

[<Fact>]
let ``for an MC predictive every draw is scaled and the mixture's NLL minimised`` () =
    let _, y, overconfident = synthetic 2000 3.0
    // Three identical draws are one draw: the same temperature.
    let draws = torch.stack([| overconfident; overconfident; overconfident |])
    let single = TemperatureScaling.Fit(overconfident, y).Temperature
    let mc = TemperatureScaling.Fit(draws, y).Temperature
    Assert.True(abs (single - mc) < 1e-5, sprintf "%f vs %f" single mc)
    use probabilities = BayesDL.Predictive.PredictiveSamples.FromLogits draws
    let fromProbabilities = TemperatureScaling.Fit(probabilities, y).Temperature
    Assert.True(abs (single - fromProbabilities) < 1e-5, sprintf "%f vs %f" single fromProbabilities)
