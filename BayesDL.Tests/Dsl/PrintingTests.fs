module BayesDL.Tests.Dsl.PrintingTests

open Xunit
open TorchSharp
open BayesDL.Dsl
open BayesDL.Predictive
open BayesDL.Tests.TestSupport

[<Fact>]
let ``a tensor prints its values, not only its shape`` () =
    engine ()
    use t = torch.tensor([| 1.25; -2.5; 3.75 |], dtype = torch.ScalarType.Float64)
    let text = Printing.tensor t
    for v in [ "1.25"; "-2.5"; "3.75" ] do Assert.Contains(v, text)
    Assert.Contains("[3]", text)

[<Fact>]
let ``a classification predictive prints mean probabilities, entropy and mutual information with their means`` () =
    engine ()
    // Two draws over one row that disagree completely: mean (0.5, 0.5), entropy ln 2 = 0.6931, mutual information ln 2.
    use probs = torch.tensor([| 1.0; 0.0; 0.0; 1.0 |], dtype = torch.ScalarType.Float64).reshape(2L, 1L, 2L)
    use p = PredictiveSamples.Classification probs
    let text = Printing.predictive p
    Assert.Contains("2 draws x 1 rows x 2 classes", text)
    Assert.Contains("0.5", text)
    Assert.Contains("mean predictive entropy 0.6931 nats, mean mutual information 0.6931 nats", text)

[<Fact>]
let ``a regression predictive prints the mean and the aleatoric and epistemic variances`` () =
    engine ()
    // Means 1 and 3 (epistemic variance 1), noise variances 0.5 and 1.5 (aleatoric 1).
    use means = torch.tensor([| 1.0; 3.0 |], dtype = torch.ScalarType.Float64).reshape(2L, 1L, 1L)
    use vars = torch.tensor([| 0.5; 1.5 |], dtype = torch.ScalarType.Float64).reshape(2L, 1L, 1L)
    use p = PredictiveSamples.Regression(means, vars)
    let text = Printing.predictive p
    Assert.Contains("2 draws x 1 rows", text)
    Assert.Contains("mean aleatoric variance 1, mean epistemic variance 1", text)
