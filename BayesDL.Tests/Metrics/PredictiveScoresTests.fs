/// PredictiveScores on a predictive small enough to score by hand.
module BayesDL.Tests.Metrics.PredictiveScoresTests

open System
open Xunit
open BayesDL.Inference
open BayesDL.Metrics
open BayesDL.Tests.TestSupport
open BayesDL.Predictive
open TorchSharp

[<Fact>]
let ``scores of two disagreeing and two undecided draws match the hand computation`` () =
    engine ()
    // T = 2 draws, N = 2 inputs, C = 2 classes. Input 0: the draws are sure and disagree, [1, 0] and [0, 1];
    // input 1: both draws say [0.5, 0.5]. The mean is [0.5, 0.5] for both inputs.
    use probabilities = cpu64.Tensor([| 1.0; 0.0; 0.5; 0.5; 0.0; 1.0; 0.5; 0.5 |], 2L, 2L, 2L)
    use predictive = PredictiveSamples.Classification(probabilities.clone())
    use labels = torch.tensor([| 0L; 1L |])
    let s = PredictiveScores.Compute(predictive, labels)
    // argmax of a tie is the first class: input 0 right, input 1 wrong.
    Assert.Equal(0.5, s.Accuracy, 12)
    Assert.Equal(Math.Log 2.0, s.NegativeLogLikelihood, 12)
    // (0.5 - 1)^2 + (0.5 - 0)^2 = 0.5 per input.
    Assert.Equal(0.5, s.BrierScore, 12)
    // Both confidences 0.5 fall in one bin whose accuracy is 0.5: no calibration gap.
    Assert.Equal(0.0, s.ExpectedCalibrationError, 12)
    Assert.Equal(Math.Log 2.0, s.MeanPredictiveEntropy, 12)
    // I = H[mean] - mean H[p_t]: log 2 - 0 for input 0, log 2 - log 2 for input 1.
    Assert.Equal(Math.Log 2.0 / 2.0, s.MeanMutualInformation, 12)
    Assert.Equal((2L, 2L, 15), (s.Count, s.Samples, s.Bins))

[<Fact>]
let ``a regression predictive is refused with a message naming the parameter`` () =
    engine ()
    use means = cpu64.Tensor([| 0.0; 1.0 |], 1L, 2L, 1L)
    use predictive = PredictiveSamples.Regression(means.clone())
    use labels = torch.tensor([| 0L; 1L |])
    let e = Assert.Throws<ArgumentException>(fun () -> PredictiveScores.Compute(predictive, labels) |> ignore)
    Assert.Contains("predictive", e.Message)
    Assert.Contains("Regression", e.Message)
