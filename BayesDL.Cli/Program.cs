using BayesDL.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("bayesdl");
    config.AddCommand<QuickstartCommand>("quickstart")
        .WithDescription("Bayes' rule in action: variational inference for a Bayesian linear regression, next to the exact posterior.");
    config.AddCommand<ScriptCommand>("script")
        .WithDescription("Runs a C# script (.csx) with BayesDL.Core and TorchSharp referenced, e.g. scripts/bayes-rule.csx.");
});
return app.Run(args);
