using BayesDL.Layers;

namespace BayesDL.Networks;

/// <summary>
/// One layer as a model file's JSON description holds it (<c>Models.ModelFile</c>, format versions 1 to 3; the field
/// names are the format). Type is the <see cref="LayerKind.Type"/>; Sizes, Options, Settings (a kind's scalar
/// hyperparameters by name), Multivariate and Concrete are what the kind writes; Inner is the weight layer a
/// concrete-dropout layer wraps; Name is the layer's name in the body (absent in version 1, which numbered the layers);
/// MonteCarlo whether a Monte Carlo layer samples in evaluation mode. Version 1 wrote Type, Sizes and Options only.
/// </summary>
internal sealed record LayerRecord(string Type, long[] Sizes, BayesLayerOptions? Options, string? Name = null,
    Dictionary<string, double>? Settings = null, MultivariateBayesOptions? Multivariate = null,
    ConcreteDropoutOptions? Concrete = null, LayerRecord? Inner = null, bool? MonteCarlo = null);
