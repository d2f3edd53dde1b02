namespace IntegrationHub.Hosting;

/// <summary>
/// A setting, or the machine, does not let the hub start: a connection string that does not parse, a data folder it
/// may not write to, a database it cannot reach. The message names the setting or the cause and says what to do; the
/// hub prints it and exits with code 1, without a stack trace (<see cref="StartupFailure"/>).
/// </summary>
internal sealed class StartupException(string message, Exception? innerException = null) : Exception(message, innerException);
