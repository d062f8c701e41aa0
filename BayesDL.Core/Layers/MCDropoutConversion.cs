namespace BayesDL.Layers;

/// <summary>How <see cref="MCDropoutConverter"/> makes a network MC-dropout capable.</summary>
/// <param name="P">Dropout probability inserted before every weight layer after the first (hidden layers).</param>
/// <param name="InputP">
/// Dropout probability before the first weight layer (on the raw inputs); null = <paramref name="P"/>.
/// Gal &amp; Ghahramani put dropout before every weight layer; a lower rate on the inputs (e.g. 0.2, as in
/// Srivastava et al. 2014) usually costs less accuracy. 0 inserts none there, which also lets
/// <see cref="Inference.MonteCarloPredictor"/> compute the first weight layer once per input instead of once per
/// sample; on the MNIST MLP benchmark input dropout 0.2 made the MC predictive more under-confident (NLL 0.154 vs
/// 0.133 without, 10 epochs) and lowered the noise-image OOD AUROC (0.874 vs 0.907).
/// </param>
/// <param name="ReplaceExistingDropout">
/// True: every existing <c>Dropout</c>/<c>Dropout2d</c> becomes the MC counterpart with the same p (it stays on
/// at test time) and no second dropout is inserted after it. False: existing dropout layers are kept as
/// they are (off in evaluation mode) and MC dropout is inserted in addition.
/// </param>
public sealed record MCDropoutConversion(double P = 0.5, double? InputP = null, bool ReplaceExistingDropout = true);
