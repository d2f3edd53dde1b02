using IntegrationHub.Hosting;

namespace IntegrationHub.Components;

/// <summary>The address external systems reach this hub at, for the URLs pages show.</summary>
internal static class HubAddress
{
    /// <summary>
    /// <see cref="HubOptions.PublicUrl"/> when configured (a hub behind a proxy knows its public name only from there),
    /// else the scheme and host of the current request. Never ends with a slash.
    /// </summary>
    public static string Of(HttpContext context, HubOptions options) =>
        !string.IsNullOrWhiteSpace(options.PublicUrl)
            ? options.PublicUrl.TrimEnd('/')
            : $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}".TrimEnd('/');
}
