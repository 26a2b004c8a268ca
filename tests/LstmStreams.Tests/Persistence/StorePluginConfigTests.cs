using LstmStreams.Persistence;

namespace LstmStreams.Tests.Persistence;

/// <summary>The Akka.Persistence.Sql plugin section a store location produces (no database needed).</summary>
public sealed class StorePluginConfigTests
{
    [Theory]
    [InlineData("postgres:Host=127.0.0.1;Port=5433;Username=lstm;Password=x\"y;Database=lstm", "Host=127.0.0.1;Port=5433;Username=lstm;Password=x\"y;Database=lstm", "PostgreSQL.15", "postgresql")]
    [InlineData("sqlite:/tmp/with space/state.db", "Data Source=/tmp/with space/state.db;Pooling=True", "SQLite.MS", "sqlite")]
    public void The_plugin_section_holds_the_connection_string_provider_and_table_mapping_exactly(string text, string connection, string provider, string mapping)
    {
        var store = StoreLocation.Parse(text);
        var plugin = store.PluginConfig()!.GetConfig(store.PluginId);

        Assert.Equal(connection, plugin.GetString("connection-string"));
        Assert.Equal(provider, plugin.GetString("provider-name"));
        Assert.Equal(mapping, plugin.GetString("table-mapping"));
        Assert.Equal("LstmStreams.Persistence.BatchingSqlSnapshotStore, LstmStreams", plugin.GetString("class"));
        Assert.Equal(store.PluginId, plugin.GetString("plugin-id"));
    }

    [Fact]
    public void The_circuit_breaker_never_opens_so_only_the_keepers_backoff_delays_a_retry()
    {
        var store = StoreLocation.Parse("postgres:Host=127.0.0.1;Database=lstm");
        Assert.Equal(int.MaxValue, store.PluginConfig()!.GetConfig(store.PluginId).GetInt("circuit-breaker.max-failures"));
    }

    [Fact]
    public void Memory_and_none_need_no_plugin_section()
    {
        Assert.Null(StoreLocation.Parse("memory").PluginConfig());
        Assert.Null(StoreLocation.None.PluginConfig());
    }
}
