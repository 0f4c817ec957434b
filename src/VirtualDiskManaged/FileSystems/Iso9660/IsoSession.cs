namespace VirtualDiskManaged.FileSystems.Iso9660;

/// <summary>
/// One session of a (possibly multisession) image: where its volume descriptor set starts (sector
/// <see cref="StartSector"/> + 16, ECMA-119 §6.2.1 relative to the session) and what its primary descriptor says.
/// </summary>
/// <param name="Index">0-based, oldest first.</param>
/// <param name="StartSector">The session's first 2048-byte sector in the image.</param>
/// <param name="VolumeSpaceSize">The Volume Space Size of the session's primary descriptor (logical blocks).</param>
/// <param name="VolumeIdentifier">The session's volume identifier.</param>
public sealed record IsoSession(int Index, long StartSector, uint VolumeSpaceSize, string VolumeIdentifier);
