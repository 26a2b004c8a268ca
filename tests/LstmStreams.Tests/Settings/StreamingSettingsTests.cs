using Akka.Configuration;
using LstmStreams.Settings;

namespace LstmStreams.Tests.Settings;

public sealed class StreamingSettingsTests
{
    [Fact]
    public void The_example_config_file_parses_and_states_the_defaults()
    {
        var config = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "lstm-streams.conf")));
        Assert.Equal(StreamingSettings.Default, StreamingSettings.FromConfig(config));
    }

    [Fact]
    public void The_defaults_in_code_equal_reference_conf()
    {
        // A user who builds settings in code (new StreamingSettings { … }) gets what reference.conf documents.
        Assert.Equal(StreamingSettings.Default, new StreamingSettings());
        Assert.Equal(LstmStreams.Cluster.ClusterSettings.From(LstmStreams.Cluster.ClusterSettings.ReferenceConfig), new LstmStreams.Cluster.ClusterSettings());
    }

    [Fact]
    public void User_values_override_the_reference_defaults()
    {
        var settings = StreamingSettings.FromConfig(ConfigurationFactory.ParseString("lstm-streams { max-batch-size = 64, idle-timeout = 5s, kernel = reference, passivation = never }"));
        Assert.Equal(64, settings.MaxBatchSize);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.IdleTimeout);
        Assert.Equal(Core.Kernels.KernelBackend.Reference, settings.Kernel);
        Assert.Equal(PassivationMode.Never, settings.Passivation);
        Assert.Equal(StreamingSettings.Default.MaxInFlight, settings.MaxInFlight);
    }

    [Theory]
    [InlineData("none", "none")]
    [InlineData("memory", "memory")]
    [InlineData("sqlite:data/x.db", "sqlite:data/x.db")]
    [InlineData("sqlite", "sqlite:data/{model}.db")]
    [InlineData("postgres:Host=127.0.0.1;Username=u;Password=hunter2;Database=d", "postgres:Host=127.0.0.1;Username=u;Password=***;Database=d")]
    [InlineData("postgres://u:hunter2@db.local:5433/fleet?sslmode=require", "postgres:Host=db.local;Port=5433;Username=u;Password=***;Database=fleet;SSL Mode=require")]
    [InlineData("postgresql://u@127.0.0.1/d", "postgres:Host=127.0.0.1;Username=u;Database=d")]
    public void Store_locations_parse_and_never_show_a_password(string text, string shown)
    {
        var settings = StreamingSettings.FromConfig(ConfigurationFactory.ParseString($"lstm-streams.persistence.store = \"{text}\""));
        Assert.Equal(shown, settings.Persistence.Store.ToString());
    }

    [Fact]
    public void The_default_sqlite_file_is_named_after_the_model()
    {
        var store = LstmStreams.Persistence.StoreLocation.Parse("sqlite").ForModel("/models/fleet-v2.safetensors");
        Assert.Equal("sqlite:data/fleet-v2.db", store.ToString());
        Assert.Equal("sqlite:/x/state.db", LstmStreams.Persistence.StoreLocation.Parse("sqlite:/x/state.db").ForModel("/models/m.safetensors").ToString());
    }

    [Theory]
    [InlineData("lstm-streams.max-batch-size = 0", "max-batch-size")]
    [InlineData("lstm-streams.max-in-flight = -1", "max-in-flight")]
    [InlineData("lstm-streams.passivation = sometimes", "passivation")]
    [InlineData("lstm-streams.kernel = gpu", "unknown kernel backend 'gpu'")]
    [InlineData("lstm-streams.idle-timeout = 0s", "idle-timeout")]
    [InlineData("lstm-streams.max-batch-size = 2000000000", "max-batch-size = 2000000000: must be between 1 and 65536")]
    [InlineData("lstm-streams.max-batch-size = lots", "lstm-streams.max-batch-size:")]
    [InlineData("lstm-streams.idle-timeout = forever", "lstm-streams.idle-timeout:")]
    [InlineData("lstm-streams.kernel = turbo", "lstm-streams.kernel:")]
    [InlineData("lstm-streams.persistence.snapshot-interval = often", "lstm-streams.persistence.snapshot-interval:")]
    [InlineData("lstm-streams.persistence.store = \"mysql:localhost\"", "lstm-streams.persistence.store \"mysql:localhost\" is not understood")]
    [InlineData("lstm-streams.persistence.store = \"postgres:\"", "postgres:CONNECTION-STRING")]
    [InlineData("lstm-streams.persistence.snapshot-every = -1", "snapshot-every")]
    [InlineData("lstm-streams.persistence.on-shape-mismatch = ignore", "on-shape-mismatch")]
    [InlineData("lstm-streams.persistence.parallelism = 0", "parallelism")]
    public void Bad_values_are_refused_naming_the_key(string hocon, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => StreamingSettings.FromConfig(ConfigurationFactory.ParseString(hocon)));
        Assert.Contains(expected, error.Message);
    }
}
