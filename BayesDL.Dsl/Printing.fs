/// Text forms of tensors and predictive results for `dotnet fsi`, whose default shows a tensor as its shape only
/// (`[2000], type = Float32, device = cpu`). Register them once per session:
/// `fsi.AddPrinter Printing.tensor; fsi.AddPrinter Printing.predictive` (scripts/references.fsx does).
[<RequireQualifiedAccess>]
module BayesDL.Dsl.Printing

open BayesDL.Predictive
open TorchSharp

/// Shape, dtype, device and values (TorchSharp's Julia style: long dimensions are elided in the middle).
let tensor (t: torch.Tensor) : string =
    if t.IsInvalid then "<disposed tensor>" else t.ToString(TensorStringStyle.Julia)

/// What `rows` rows of a [N, ...] tensor look like, with the count of the rest.
let private head (rows: int64) (t: torch.Tensor) =
    let n = t.shape[0]
    use shown = t.narrow(0L, 0L, min rows n).detach().cpu()
    let text = shown.ToString(TensorStringStyle.Numpy)
    if n > rows then sprintf "%s\n... (%d more rows)" text (n - rows) else text

/// Kind and size, then per row the mean prediction and the uncertainty the library reports: for classification the
/// mean class probabilities, predictive entropy and mutual information (epistemic); for regression the predictive mean
/// and the aleatoric and epistemic variances. The first five rows are shown, and the means over all rows.
let predictive (p: PredictiveSamples) : string =
    use scope = torch.NewDisposeScope()
    let mean = p.Mean()
    let overall (t: torch.Tensor) = t.mean().to_type(torch.ScalarType.Float64).item<float>()
    match p.Kind with
    | PredictiveKind.Classification ->
        let entropy, mutual = p.PredictiveEntropy(), p.MutualInformation()
        sprintf "PredictiveSamples (classification): %d draws x %d rows x %d classes\nmean probabilities\n%s\npredictive \
                 entropy\n%s\nmutual information\n%s\nmean predictive entropy %.4f nats, mean mutual information %.4f nats"
            p.SampleCount p.Count mean.shape[mean.shape.Length - 1] (head 5L mean) (head 5L entropy) (head 5L mutual)
            (overall entropy) (overall mutual)
    | _ ->
        let aleatoric, epistemic = p.AleatoricVariance(), p.EpistemicVariance()
        sprintf "PredictiveSamples (regression): %d draws x %d rows\npredictive mean\n%s\naleatoric variance\n%s\nepistemic \
                 variance\n%s\nmean aleatoric variance %.4g, mean epistemic variance %.4g"
            p.SampleCount p.Count (head 5L mean) (head 5L aleatoric) (head 5L epistemic) (overall aleatoric) (overall epistemic)
