namespace BayesDL.Objectives;

/// <summary>How the KL term is weighted across minibatches and steps (see <see cref="KLSchedule"/>).</summary>
public enum KLScheduleKind
{
    /// <summary>Each minibatch carries B/N of the KL, times a constant weight.</summary>
    Constant,

    /// <summary>Like Constant with the weight ramped linearly from 0 to its final value over the first steps.</summary>
    LinearWarmup,

    /// <summary>Minibatch i of M carries 2^(M-i)/(2^M - 1) of the KL (Blundell et al. 2015, eq. 9).</summary>
    Blundell,
}
