namespace BayesDL.Training;

/// <summary>The optimizer a <see cref="Trainer"/> uses.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (Kingma &amp; Ba 2015), the usual choice for variational parameters.</summary>
    Adam,

    /// <summary>Plain stochastic gradient descent.</summary>
    Sgd,

    /// <summary>SGD with Nesterov momentum 0.9.</summary>
    SgdMomentum,
}
