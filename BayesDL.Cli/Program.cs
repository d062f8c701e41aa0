using BayesDL.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("bayesdl");
    config.AddCommand<QuickstartCommand>("quickstart")
        .WithDescription("Bayes' rule in action: variational inference for a Bayesian linear regression, next to the exact posterior.");
});
return app.Run(args);
