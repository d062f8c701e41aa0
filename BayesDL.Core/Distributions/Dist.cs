using static TorchSharp.torch;

namespace BayesDL.Distributions;

/// <summary>
/// Factories for every distribution (the public way to make one; constructors are internal).
/// Tensor overloads for batched parameters, double overloads for scalars on a given policy.
/// Each distribution's file adds its own factories to this partial class, next to the type they build.
/// </summary>
public static partial class Dist
{
}
