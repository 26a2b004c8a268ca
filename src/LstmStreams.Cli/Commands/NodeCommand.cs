using System.CommandLine;
using LstmStreams.Cli.Running;

namespace LstmStreams.Cli.Commands;

/// <summary><c>lstm-streams node</c>: one member of a cluster that shares the sequences (Akka.Cluster.Sharding).</summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model: every node must load the same file (its SHA-256 is compared).", Required = true };
        var port = new Option<int>("--port") { Description = "This node's TCP port.", Required = true };
        var host = new Option<string>("--host") { Description = "The address other nodes reach this one at.", DefaultValueFactory = _ => "127.0.0.1" };
        var seeds = new Option<string[]>("--seed") { Description = "A seed node HOST:PORT (repeatable); a node that lists itself can start the cluster. Default: this node.", AllowMultipleArgumentsPerToken = false };
        var minMembers = new Option<int>("--min-members") { Description = "Members to wait for before this node is up (and, ingesting, starts reading).", DefaultValueFactory = _ => 1 };
        var input = new Option<string?>("--input") { Description = "Observations to ingest: a file or - for stdin. Without it the node only hosts sequences, until SIGTERM or Ctrl-C." };
        var output = new Option<string>("--output") { Description = "Predictions of what this node ingests: a file, - for stdout.", DefaultValueFactory = _ => "-" };
        var errors = new Option<string?>("--errors") { Description = "Error records (JSONL) of what this node ingests; default stderr." };
        var format = new Option<string?>("--format") { Description = "Input format: jsonl or csv (default: from the file extension, else jsonl)." };
        var outputFormat = new Option<string?>("--output-format") { Description = "Output format: jsonl or csv (default: from the output file's extension, else jsonl)." };
        var features = new Option<string?>("--features") { Description = "Named fields or columns that are the model's inputs, in its input order (as for run)." };
        var seqField = new Option<string?>("--seq-field") { Description = "The field or column holding the sequence id (default seq)." };
        var tField = new Option<string?>("--t-field") { Description = "The field or column holding t (default t)." };
        var tUnit = new Option<string?>("--t-unit") { Description = "What an ISO-8601 t becomes: ms (default), s, us or ns." };
        var shared = new SharedOptions();
        var command = new Command("node", "Start a cluster member: sequences are sharded across the members (Akka.Cluster.Sharding), each node steps its own in its own compute stage, and a node given --input ingests it through the cluster.")
        {
            model, port, host, seeds, minMembers, input, output, errors, format, outputFormat, features, seqField, tField, tUnit,
        };
        shared.AddTo(command);
        command.SetAction(parse => NodeRunner.Execute(new NodeOptions(parse.GetValue(model)!, parse.GetValue(port), parse.GetValue(host)!)
        {
            Seeds = parse.GetValue(seeds) ?? [],
            MinMembers = parse.GetValue(minMembers),
            Run = new RunOptions(parse.GetValue(model)!, parse.GetValue(input) ?? "", parse.GetValue(output)!)
            {
                Errors = parse.GetValue(errors), Format = parse.GetValue(format), OutputFormat = parse.GetValue(outputFormat), Features = parse.GetValue(features),
                SequenceField = parse.GetValue(seqField), TimeField = parse.GetValue(tField), TimeUnit = parse.GetValue(tUnit),
            },
            Ingests = parse.GetValue(input) is not null,
        }, () => shared.Read(parse)));
        return command;
    }
}

/// <summary>What <c>lstm-streams node</c> was asked to do.</summary>
internal sealed record NodeOptions(string Model, int Port, string Host)
{
    public IReadOnlyList<string> Seeds { get; init; } = [];
    public int MinMembers { get; init; } = 1;
    public required RunOptions Run { get; init; }
    public bool Ingests { get; init; }
}
