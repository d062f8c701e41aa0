using BayesDL.Validation;

namespace BayesDL.Builders;

/// <summary>
/// Settings of an MC dropout grid search (<see cref="SequentialBuilder.SearchMCDropout"/>), the protocol of Gal &amp; Ghahramani
/// (2016) on the UCI regression sets: hold out <see cref="ValidationFraction"/> of each training set, fit one model per dropout
/// rate p of <see cref="DropoutRates"/> on the rest with <see cref="Fit"/>, score every (p, noise sd σ) on the held-out rows by the
/// T = <see cref="Samples"/> draw mixture log-likelihood, and refit the best pair on the whole training set.
/// </summary>
/// <param name="Fit">
/// The training of every fit, grid and refit alike (epochs, batch size, Adam's rate, seed, length-scale prior; the plain dropout
/// loss: no α, no checkpoint). Its seed s drives everything: set i's validation rows are drawn with s + i, the grid fits train
/// with s, their validation predictions are drawn after seeding the engine with s + 1, and the refits train with s + 2.
/// </param>
/// <param name="DropoutRates">The grid of dropout rates, each in (0, 1); null: <see cref="DefaultDropoutRates"/>.</param>
/// <param name="ValidationFraction">The share of each training set held out for scoring, in (0, 1) (20%, as Gal &amp; Ghahramani).</param>
/// <param name="Samples">T, the dropout masks of each validation predictive (at least 1).</param>
public sealed record MCDropoutGridSearchOptions(MCDropoutFitOptions Fit, IReadOnlyList<double>? DropoutRates = null,
    double ValidationFraction = 0.2, int Samples = 1000)
{
    /// <summary>Gal &amp; Ghahramani's UCI dropout-rate grid: 0.005, 0.01, 0.05, 0.1.</summary>
    public static IReadOnlyList<double> DefaultDropoutRates { get; } = [0.005, 0.01, 0.05, 0.1];

    /// <summary>The dropout-rate grid (<see cref="DefaultDropoutRates"/> when none was given).</summary>
    public IReadOnlyList<double> DropoutRates { get; init; } = DropoutRates ?? DefaultDropoutRates;

    /// <summary>
    /// A noise grid for a standardised target (sd 1): 60 noise sds spaced geometrically from 0.01 to 2, wide enough for any data
    /// set; on the original scale τ = 1 / (sd_y σ)².
    /// </summary>
    public static IReadOnlyList<double> StandardisedNoiseSds { get; } =
        [.. Enumerable.Range(0, 60).Select(i => 0.01 * Math.Pow(200, i / 59.0))];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range (the fit's settings included).</summary>
    public void Validate()
    {
        const string Who = nameof(MCDropoutGridSearchOptions);
        ArgumentNullException.ThrowIfNull(Fit);
        Fit.Validate();
        Check.Argument(DropoutRates.Count > 0, Who, nameof(DropoutRates), "an empty grid", "at least one dropout rate in (0, 1)",
            "Leave it null for Gal & Ghahramani's 0.005, 0.01, 0.05, 0.1.");
        for (int i = 0; i < DropoutRates.Count; i++)
            Check.Argument(DropoutRates[i] is > 0 and < 1, Who, $"{nameof(DropoutRates)}[{i}]", DropoutRates[i].ToString("R"),
                "in (0, 1)", "A dropout rate is the probability of zeroing a unit, e.g. 0.05.");
        Check.Argument(ValidationFraction is > 0 and < 1, Who, nameof(ValidationFraction), ValidationFraction.ToString("R"),
            "in (0, 1) (the share of each training set held out)", "Gal & Ghahramani held out 0.2.");
        Check.Positive(Samples, Who, nameof(Samples), "Score the held-out rows with some hundreds of masks, e.g. 1000.");
    }
}
