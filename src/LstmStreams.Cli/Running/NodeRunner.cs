using System.Globalization;
using Akka.Configuration;
using Akka.Streams.Dsl;
using LstmStreams.Cli.Commands;
using LstmStreams.Cluster;
using LstmStreams.Cluster.Ingest;
using LstmStreams.Core.Import;
using LstmStreams.Formats;
using LstmStreams.Persistence;
using LstmStreams.Pipeline;
using LstmStreams.Settings;

namespace LstmStreams.Cli.Running;

/// <summary>
/// Runs <c>lstm-streams node</c>: starts a member, prints a status line every status-interval, and either ingests its
/// input through the cluster (then leaves, handing its shards over, and exits 0) or hosts sequences until SIGTERM or
/// Ctrl-C (then leaves the same way). Exit codes (<see cref="ExitCodes"/>): 0 done (or a hosting or MQTT-fed node
/// stopped by a signal); 1 this node was downed; 2 bad arguments or settings; 3 input unreadable; 4 output
/// unwritable; 7 refused by the cluster (another model file or store); 130 interrupted before its file input ended.
/// </summary>
internal static class NodeRunner
{
    /// <summary>Observations the ingester routes at once: split by shard, a group becomes one message per shard, so
    /// larger groups mean fuller messages (4096 over 30 shards: ~136 observations a message).</summary>
    private const int IngestGroup = 4096;

    public static int Execute(NodeOptions options, Func<(Config, StreamingSettings)> readSettings)
    {
        Core.Model.RecurrentModel model;
        string modelHash;
        try
        {
            model = ModelLoader.Load(options.Model);
            modelHash = ClusterNode.HashFile(options.Model);
        }
        catch (ModelFormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }

        Config config;
        StreamingSettings settings;
        string? sharedStore;
        InputFields fields;
        try
        {
            (config, settings) = readSettings();
            sharedStore = SharedStore(settings.Persistence);
            bool alone = options.MinMembers <= 1 && options.Seeds.All(seed => seed == $"{options.Host}:{options.Port}");
            if (sharedStore is null && !alone)
                throw new ArgumentException($"--store {Describe(settings.Persistence.Store)}: a cluster of more than one node needs one store every node shares " +
                    "(--store postgres:…). A node's own SQLite file, memory or none would lose the state of every sequence that moves to another node.");
            settings = SharedOptions.WithStoreFor(settings, options.Model);
            fields = options.Run.Fields(config, model);
            ClusterSettings.From(config);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }

        using var ends = options.Ingests ? IngestEnds.Open(options.Run, fields, model, config, $"{options.Host}:{options.Port}") : null;
        if (ends is { Failure: { } failure })
        {
            Console.Error.WriteLine($"error: {failure.Message}");
            return failure.ExitCode;
        }

        var node = ClusterNode.Start(new ClusterNodeOptions
        {
            Host = options.Host,
            Port = options.Port,
            Seeds = options.Seeds,
            MinMembers = options.MinMembers,
            ModelHash = modelHash,
            ModelName = options.Model,
            SharedStore = sharedStore,
        }, model, settings, StreamRunner.WithCliDefaults(config));
        using var signals = new StopSignals("leaving the cluster (this node's shards are handed over)");
        var progress = new IngestProgress();
        using var status = new Timer(_ =>
        {
            ends?.Flush(); // error records on stderr end their lines before the status line starts
            Console.Error.WriteLine(Status(node, progress, ends is not null));
        }, null, node.Settings.StatusInterval, node.Settings.StatusInterval);
        if (options.MinMembers > 1) Console.Error.WriteLine($"node {node.Address}: waiting for {options.MinMembers} members");
        try
        {
            return Run(node, ends, progress, signals.Token).GetAwaiter().GetResult();
        }
        finally
        {
            status.Dispose();
            if (!node.Terminated.IsCompleted) node.LeaveAsync().Wait(TimeSpan.FromSeconds(90));
            node.Terminated.Wait(TimeSpan.FromSeconds(30));
        }
    }

    private static async Task<int> Run(ClusterNode node, IngestEnds? ends, IngestProgress progress, CancellationToken cancel)
    {
        var stopped = Task.Delay(Timeout.Infinite, cancel);
        if (ends is null)
        {
            var first = await Task.WhenAny(stopped, node.Refused, node.Terminated);
            if (first == node.Refused) return Refused(node);
            if (first == node.Terminated) return Downed(node);
            await node.LeaveAsync();
            Console.Error.WriteLine($"node {node.Address}: left the cluster");
            return 0;
        }

        var up = await Task.WhenAny(node.Up, stopped, node.Refused, node.Terminated);
        if (up == node.Refused) return Refused(node);
        if (up == node.Terminated) return Downed(node);
        if (up == stopped) return ExitCodes.Interrupted;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ingest = node.Ingest(ends.Groups(IngestGroup), ends.Output, progress, cancel);
        var done = await Task.WhenAny(ingest, node.Refused, node.Terminated);
        if (done == node.Refused) return Refused(node);
        if (done == node.Terminated) return Downed(node);
        try
        {
            var summary = await ingest;
            ends.Flush();
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"done: {summary.Observations:N0} observations in {summary.Messages:N0} routed messages ({summary.Observations / (double)Math.Max(1, summary.Messages):F1} a message), {summary.Predictions:N0} predictions, {summary.Errors:N0} error records, {summary.Resent:N0} sent again after a node was lost; rate={summary.Observations / clock.Elapsed.TotalSeconds:F0} obs/s (read to released)"));
            await node.LeaveAsync();
            return 0;
        }
        catch (OperationCanceledException) when (ends.Live)
        {
            ends.Flush();
            Console.Error.WriteLine("stopped: messages not yet acknowledged (not yet in a durable snapshot) are redelivered by the broker");
            return 0;
        }
        catch (OperationCanceledException)
        {
            ends.Flush();
            Console.Error.WriteLine("stopped before the input ended: what was written is complete per line; observations not yet answered were not written");
            return ExitCodes.Interrupted;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"error: reading or writing failed: {e.Message}");
            return ExitCodes.Input;
        }
    }

    private static int Refused(ClusterNode node)
    {
        Console.Error.WriteLine($"error: node {node.Address}: {node.Refused.Result}");
        return ExitCodes.Refused;
    }

    private static int Downed(ClusterNode node)
    {
        Console.Error.WriteLine($"error: node {node.Address} was removed from the cluster (downed: unreachable from the majority) and stopped.");
        return ExitCodes.Failed;
    }

    private static string Status(ClusterNode node, IngestProgress progress, bool ingesting)
    {
        var metrics = node.EngineMetrics;
        string ingest = ingesting
            ? string.Create(CultureInfo.InvariantCulture, $" read={progress.Observations} predictions={progress.Predictions} errors={progress.Errors} unreleased={progress.Pending} resent={progress.ResentCount}")
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"node {node.Address}: members={node.Members} sequences={node.HostedSequences} stepped={metrics.Emitted} in-flight={metrics.InFlight}{ingest}");
    }

    /// <summary>A store every node can share, described without secrets (host, port, database, id prefix); null for one
    /// that cannot be shared.</summary>
    internal static string? SharedStore(PersistenceSettings persistence)
    {
        if (persistence.Store.Kind != StoreKind.Postgres) return null;
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(persistence.Store.Target);
        return $"postgres {builder.Host}:{builder.Port}/{builder.Database} prefix {persistence.PersistenceIdPrefix}";
    }

    private static string Describe(StoreLocation store) => store.Kind switch
    {
        StoreKind.None => "none",
        StoreKind.Memory => "memory",
        StoreKind.Sqlite => "sqlite:" + store.Target,
        _ => store.Kind.ToString().ToLowerInvariant(),
    };
}
