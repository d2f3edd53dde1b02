namespace IntegrationHub.Identity;

/// <summary>
/// Unattended install: creates the first admin at first start. Section <c>Bootstrap</c>
/// (environment variables <c>Bootstrap__AdminEmail</c> and so on). Checked at a start without users (unusable values fail
/// that start, naming the key); ignored, and not checked, once any user exists.
/// </summary>
internal sealed class BootstrapOptions
{
    public const string SectionName = "Bootstrap";

    /// <summary>The first admin's email. Default: none (the console prints a one-time setup link instead).</summary>
    public string? AdminEmail { get; set; }

    /// <summary>
    /// The first admin's password, 8 to 256 characters. With <see cref="AdminEmail"/>, this or <see cref="AdminToken"/> (or
    /// both) is required: without a password the admin signs in with the token only.
    /// </summary>
    public string? AdminPassword { get; set; }

    /// <summary>A personal access token to provision for the first admin; at least 32 characters.</summary>
    public string? AdminToken { get; set; }
}
