namespace BayesDL.Models;

/// <summary>What a <see cref="ModelFile"/> holds, as <see cref="ModelFile.KindOf"/> reads it from the file's description.</summary>
public enum ModelFileKind
{
    /// <summary>One <see cref="BayesianNetwork"/> (format versions 1 to 4); read with <see cref="ModelFile.Load"/>.</summary>
    Network,

    /// <summary>A <see cref="Inference.DeepEnsemble"/> (format version 4); read with <see cref="ModelFile.LoadEnsemble"/>.</summary>
    Ensemble,

    /// <summary>A <see cref="Vae"/> (format version 4); read with <see cref="ModelFile.LoadVae"/>.</summary>
    Vae,

    /// <summary>A <see cref="Posthoc.LaplacePosterior"/> (format version 4); read with <see cref="ModelFile.LoadLaplace"/>.</summary>
    Laplace,

    /// <summary>A <see cref="Swag.SwagPosterior"/> (format version 6); read with <see cref="ModelFile.LoadSwag"/>.</summary>
    Swag,

    /// <summary>An <see cref="Mcmc.SgmcmcPosterior"/> (format version 6); read with <see cref="ModelFile.LoadSgmcmc"/>.</summary>
    Sgmcmc,
}
