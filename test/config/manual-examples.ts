/** Example files from the Conquest manual, shared by the configuration tests. */

/** The dicom.ini the Conquest manual (7.2) shows as what 1.4.19d and later write (its two parts joined). */
export const MANUAL_DICOM_INI = String.raw`# This file contains configuration information for the DICOM server
# Do not edit unless you know what you are doing

[sscscp]
MicroPACS                = sscscp

# Network configuration: server name and TCP/IP port#
MyACRNema                = CONQUESTSRV1
TCPPort                  = 5678

# Host, database, username and password for database
SQLHost                  = localhost
SQLServer                = C:\dicomserver\Data\dbase\conquest.db3
Username                  =
Password                  =
SQLite                   = 1
DoubleBackSlashToDB      = 0
UseEscapeStringConstants = 0

# Configure server
ImportExportDragAndDrop  = 1
ZipTime                  = 05:
UIDPrefix                 = 1.2.826.0.1.3680043.2.135.736036.74015798

EnableComputedFields      = 1

FileNameSyntax            = 4

# Configuration of compression for incoming images and archival
DroppedFileCompression    = un
IncomingCompression       = un
ArchiveCompression        = as

# For debug information
PACSName                  = CONQUESTSRV1
OperatorConsole           = 127.0.0.1
DebugLevel                = 0

# Configuration of disk(s) to store images
MAGDeviceFullThreshHold   = 30
MAGDevices                = 1
MAGDevice0                = C:\dicomserver\data\

`;
