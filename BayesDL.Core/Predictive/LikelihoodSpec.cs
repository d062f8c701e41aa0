using System.Text.Json;
using System.Text.Json.Serialization;

namespace BayesDL.Predictive;

/// <summary>
/// A likelihood's kind and fixed settings, as declared by the builders and stored in a saved model (learned parameters go
/// with the weights). In a model file's JSON it is written as it always was, with the likelihood class's name and the noise
/// mode's name as strings (<c>{"Kind":"GaussianLikelihood","Noise":"Fixed","Sigma":0.5}</c>, <c>"Noise":""</c> for the
/// other kinds), so files written before the kinds were typed still load.
/// </summary>
/// <param name="Kind">The observation model.</param>
/// <param name="Noise">For <see cref="LikelihoodKind.Gaussian"/>: where sigma comes from; ignored by the other kinds.</param>
/// <param name="Sigma">For Gaussian: the fixed sigma, or the initial value of a learned one.</param>
[JsonConverter(typeof(LikelihoodSpecJson))]
public sealed record LikelihoodSpec(LikelihoodKind Kind, GaussianNoise Noise = GaussianNoise.Fixed, double Sigma = 1.0)
{
    /// <summary>How messages name this likelihood: <c>Gaussian(sigma = 0.5)</c>, <c>Heteroscedastic Gaussian</c>,
    /// <c>Categorical</c>.</summary>
    public string DisplayName => Kind switch
    {
        LikelihoodKind.Gaussian => Noise switch
        {
            GaussianNoise.Fixed => $"Gaussian(sigma = {Sigma})",
            GaussianNoise.Heteroscedastic => "Heteroscedastic Gaussian",
            _ => "Gaussian(learned sigma)",
        },
        LikelihoodKind.Bernoulli => "Bernoulli",
        LikelihoodKind.Categorical => "Categorical",
        _ => Kind.ToString(),
    };

    /// <summary>The JSON form of a model file: the kind and noise as the names model files have always used.</summary>
    sealed class LikelihoodSpecJson : JsonConverter<LikelihoodSpec>
    {
        static readonly (LikelihoodKind Kind, string Name)[] Names =
            [(LikelihoodKind.Gaussian, nameof(GaussianLikelihood)), (LikelihoodKind.Bernoulli, nameof(BernoulliLikelihood)),
             (LikelihoodKind.Categorical, nameof(CategoricalLikelihood))];

        public override LikelihoodSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("a likelihood description is a JSON object");
            string? kind = null, noise = null;
            double sigma = 1.0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.TokenType != JsonTokenType.PropertyName) throw new JsonException("a property " +
                    "name in the likelihood description");
                string property = reader.GetString()!;
                reader.Read();
                switch (property)
                {
                    case nameof(Kind):
                        kind = reader.TokenType == JsonTokenType.String
                            ? reader.GetString()
                            : throw new JsonException("Kind as a string");
                        break;
                    case nameof(Noise):
                        noise = reader.TokenType == JsonTokenType.String
                            ? reader.GetString()
                            : throw new JsonException("Noise as a string");
                        break;
                    case nameof(Sigma): sigma = reader.GetDouble(); break;
                    default: reader.Skip(); break;
                }
            }
            var known = Names.Where(n => n.Name == kind).ToArray();
            if (known.Length == 0)
                throw new JsonException($"the likelihood kind \"{kind}\"; expected one of {string.Join(", ", Names.Select(n => n.Name))}");
            var parsed = GaussianNoise.Fixed;
            if (known[0].Kind == LikelihoodKind.Gaussian && !(Enum.TryParse(noise, out parsed) && Enum.IsDefined(parsed)))
                throw new JsonException($"the Gaussian noise \"{noise}\"; expected one of " +
                    $"{string.Join(", ", Enum.GetNames<GaussianNoise>())}");
            return new LikelihoodSpec(known[0].Kind, parsed, sigma);
        }

        public override void Write(Utf8JsonWriter writer, LikelihoodSpec value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WriteString(nameof(Kind), Names.Single(n => n.Kind == value.Kind).Name);
            writer.WriteString(nameof(Noise), value.Kind == LikelihoodKind.Gaussian ? value.Noise.ToString() : "");
            writer.WriteNumber(nameof(Sigma), value.Sigma);
            writer.WriteEndObject();
        }
    }
}
