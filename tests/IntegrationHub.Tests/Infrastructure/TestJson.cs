using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Tests.Infrastructure;

/// <summary>The hub's wire format: camelCase, enums as names.</summary>
internal static class TestJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };
}
