import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONQUEST_ENABLED_TRANSFER_SYNTAXES,
  DgatesopList,
  defaultDgatesopList,
  defaultDgatesopText,
} from '../../src/config/dgatesop-list.js';
import { ConfigError } from '../../src/config/ini.js';
import { storageSopClasses } from '../../src/dicom/dictionary/index.js';

/** dgatesop.lst as the Conquest manual (7.5) prints it: its header block, then the table (its text as is). */
const MANUAL_DGATESOP = `#
# DICOM Application / sop / transfer UID list.
#
# This list is used by the CheckedPDU_Service ( "filename" ) service
# class. All incoming associations will be verified against this
# file.
#
# Revision 2: disabled GEMRStorage and GECTStorage
# Revision 3: extended with new sops and with JPEG transfer syntaxes
# Revision 4: added Modality Worklist query
# Revision 5: Erdenay added UIDS for CTImageStorageEnhanced, RawDataStorage,
#             SpatialRegistrationStorage, SpatialFiducialsStorage, DeformableSpatialRegistrationStorage,
#             SegmentationStorage, SurfaceSegmentationStorage, RTIonPlanStorage, RTIonBeamsTreatmentRecordStorage
# Revision 6: X-RayRadiationDoseSR, BreastTomosynthesisImageStorage and others
# Revision 7: JpegLS and BigEndianExplicit enabled
# Revision 8: Added C-GET
#
#None                none                RemoteAE
#None                none                LocalAE
#DICOM               1.2.840.10008.3.1.1.1 application
Verification\t1.2.840.10008.1.1\tsop\t
RETIRED_StoredPrintStorage\t1.2.840.10008.5.1.1.1.27\tsop\t
RETIRED_HardcopyGrayscaleImageStorage\t1.2.840.10008.5.1.1.1.29\tsop\t
RETIRED_HardcopyColorImageStorage\t1.2.840.10008.5.1.1.1.30\tsop\t
ComputedRadiographyImageStorage\t1.2.840.10008.5.1.4.1.1.1\tsop\t
DigitalXRayImageStorageForPresentation\t1.2.840.10008.5.1.4.1.1.1.1\tsop\tsop
DigitalXRayImageStorageForProcessing\t1.2.840.10008.5.1.4.1.1.1.1.1\tsop\tsop
DigitalMammographyXRayImageStorageForPresentation\t1.2.840.10008.5.1.4.1.1.1.2\tsop\tsop
DigitalMammographyXRayImageStorageForProcessing\t1.2.840.10008.5.1.4.1.1.1.2.1\tsop\tsop
DigitalIntraOralXRayImageStorageForPresentation\t1.2.840.10008.5.1.4.1.1.1.3\tsop\tsop
DigitalIntraOralXRayImageStorageForProcessing\t1.2.840.10008.5.1.4.1.1.1.3.1\tsop\tsop
CTImageStorage\t1.2.840.10008.5.1.4.1.1.2\tsop\t
EnhancedCTImageStorage\t1.2.840.10008.5.1.4.1.1.2.1\tsop\tsop
RETIRED_UltrasoundMultiframeImageStorage\t1.2.840.10008.5.1.4.1.1.3\tsop\t
UltrasoundMultiframeImageStorage\t1.2.840.10008.5.1.4.1.1.3.1\tsop\tsop
MRImageStorage\t1.2.840.10008.5.1.4.1.1.4\tsop\t
EnhancedMRImageStorage\t1.2.840.10008.5.1.4.1.1.4.1\tsop\tsop
MRSpectroscopyStorage\t1.2.840.10008.5.1.4.1.1.4.2\tsop\tsop
EnhancedMRColorImageStorage\t1.2.840.10008.5.1.4.1.1.4.3\tsop\tsop
RETIRED_NuclearMedicineImageStorage\t1.2.840.10008.5.1.4.1.1.5\tsop\t
RETIRED_UltrasoundImageStorage\t1.2.840.10008.5.1.4.1.1.6\tsop\t
UltrasoundImageStorage\t1.2.840.10008.5.1.4.1.1.6.1\tsop\tsop
EnhancedUSVolumeStorage\t1.2.840.10008.5.1.4.1.1.6.2\tsop\tsop
SecondaryCaptureImageStorage\t1.2.840.10008.5.1.4.1.1.7\tsop\t
MultiframeSingleBitSecondaryCaptureImageStorage\t1.2.840.10008.5.1.4.1.1.7.1\tsop\tsop
MultiframeGrayscaleByteSecondaryCaptureImageStorage\t1.2.840.10008.5.1.4.1.1.7.2\tsop\tsop
MultiframeGrayscaleWordSecondaryCaptureImageStorage\t1.2.840.10008.5.1.4.1.1.7.3\tsop\tsop
MultiframeTrueColorSecondaryCaptureImageStorage\t1.2.840.10008.5.1.4.1.1.7.4\tsop\tsop
RETIRED_StandaloneOverlayStorage\t1.2.840.10008.5.1.4.1.1.8\tsop\t
RETIRED_StandaloneCurveStorage\t1.2.840.10008.5.1.4.1.1.9\tsop\t
DRAFT_WaveformStorage\t1.2.840.10008.5.1.4.1.1.9.1\tsop\tsop
TwelveLeadECGWaveformStorage\t1.2.840.10008.5.1.4.1.1.9.1.1\tsop\tsop
GeneralECGWaveformStorage\t1.2.840.10008.5.1.4.1.1.9.1.2\tsop\tsop
AmbulatoryECGWaveformStorage\t1.2.840.10008.5.1.4.1.1.9.1.3\tsop\tsop
HemodynamicWaveformStorage\t1.2.840.10008.5.1.4.1.1.9.2.1\tsop\tsop
CardiacElectrophysiologyWaveformStorage\t1.2.840.10008.5.1.4.1.1.9.3.1\tsop\tsop
BasicVoiceAudioWaveformStorage\t1.2.840.10008.5.1.4.1.1.9.4.1\tsop\tsop
GeneralAudioWaveformStorage\t1.2.840.10008.5.1.4.1.1.9.4.2\tsop\tsop
ArterialPulseWaveformStorage\t1.2.840.10008.5.1.4.1.1.9.5.1\tsop\tsop
RespiratoryWaveformStorage\t1.2.840.10008.5.1.4.1.1.9.6.1\tsop\tsop
RETIRED_StandaloneModalityLUTStorage\t1.2.840.10008.5.1.4.1.1.10\tsop\t
RETIRED_StandaloneVOILUTStorage\t1.2.840.10008.5.1.4.1.1.11\tsop\t
GrayscaleSoftcopyPresentationStateStorage\t1.2.840.10008.5.1.4.1.1.11.1\tsop\t
ColorSoftcopyPresentationStateStorage\t1.2.840.10008.5.1.4.1.1.11.2\tsop\t
PseudoColorSoftcopyPresentationStateStorage\t1.2.840.10008.5.1.4.1.1.11.3\tsop\t
BlendingSoftcopyPresentationStateStorage\t1.2.840.10008.5.1.4.1.1.11.4\tsop\t
XAXRFGrayscaleSoftcopyPresentationStateStorage\t1.2.840.10008.5.1.4.1.1.11.5\tsop\tsop
RETIRED_XASinglePlaneStorage\t1.2.840.10008.5.1.4.1.1.12\tsop\t
XRayAngiographicImageStorage\t1.2.840.10008.5.1.4.1.1.12.1\tsop\tsop
EnhancedXAImageStorage\t1.2.840.10008.5.1.4.1.1.12.1.1\tsop\tsop
XRayRadiofluoroscopicImageStorage\t1.2.840.10008.5.1.4.1.1.12.2\tsop\tsop
EnhancedXRFImageStorage\t1.2.840.10008.5.1.4.1.1.12.2.1\tsop\tsop
RETIRED_XRayAngiographicBiPlaneImageStorage\t1.2.840.10008.5.1.4.1.1.12.3\tsop\tsop
XRay3DAngiographicImageStorage\t1.2.840.10008.5.1.4.1.1.13.1.1\tsop\tsop
XRay3DCraniofacialImageStorage\t1.2.840.10008.5.1.4.1.1.13.1.2\tsop\tsop
BreastTomosynthesisImageStorage\t1.2.840.10008.5.1.4.1.1.13.1.3\tsop\tsop
NuclearMedicineImageStorage\t1.2.840.10008.5.1.4.1.1.20\tsop\t
RawDataStorage\t1.2.840.10008.5.1.4.1.1.66\tsop\t
SpatialRegistrationStorage\t1.2.840.10008.5.1.4.1.1.66.1\tsop\tsop
SpatialFiducialsStorage\t1.2.840.10008.5.1.4.1.1.66.2\tsop\tsop
DeformableSpatialRegistrationStorage\t1.2.840.10008.5.1.4.1.1.66.3\tsop\tsop
SegmentationStorage\t1.2.840.10008.5.1.4.1.1.66.4\tsop\tsop
SurfaceSegmentationStorage\t1.2.840.10008.5.1.4.1.1.66.5\tsop\tsop
RealWorldValueMappingStorage\t1.2.840.10008.5.1.4.1.1.67\tsop\tsop
RETIRED_VLImageStorage\t1.2.840.10008.5.1.4.1.1.77.1\tsop\tsop
VLEndoscopicImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.1\tsop\tsop
VideoEndoscopicImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.1.1\tsop\tsop
VLMicroscopicImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.2\tsop\tsop
VideoMicroscopicImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.2.1\tsop\tsop
VLSlideCoordinatesMicroscopicImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.3\tsop\tsop
VLPhotographicImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.4\tsop\tsop
VideoPhotographicImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.4.1\tsop\tsop
OphthalmicPhotography8BitImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.5.1\tsop\tsop
OphthalmicPhotography16BitImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.5.2\tsop\tsop
StereometricRelationshipStorage\t1.2.840.10008.5.1.4.1.1.77.1.5.3\tsop\tsop
OphthalmicTomographyImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.5.4\tsop\tsop
VLWholeSlideMicroscopyImageStorage\t1.2.840.10008.5.1.4.1.1.77.1.6\tsop\tsop
RETIRED_VLMultiFrameImageStorage\t1.2.840.10008.5.1.4.1.1.77.2\tsop\t
LensometryMeasurementsStorage\t1.2.840.10008.5.1.4.1.1.78.1\tsop\t
AutorefractionMeasurementsStorage\t1.2.840.10008.5.1.4.1.1.78.2\tsop\t
KeratometryMeasurementsStorage\t1.2.840.10008.5.1.4.1.1.78.3\tsop\t
SubjectiveRefractionMeasurementsStorage\t1.2.840.10008.5.1.4.1.1.78.4\tsop\t
VisualAcuityMeasurementsStorage\t1.2.840.10008.5.1.4.1.1.78.5\tsop\t
SpectaclePrescriptionReportStorage\t1.2.840.10008.5.1.4.1.1.78.6\tsop\t
OphthalmicAxialMeasurementsStorage\t1.2.840.10008.5.1.4.1.1.78.7\tsop\t
IntraocularLensCalculationsStorage\t1.2.840.10008.5.1.4.1.1.78.8\tsop\t
MacularGridThicknessAndVolumeReportStorage\t1.2.840.10008.5.1.4.1.1.79.1\tsop\t
OphthalmicVisualFieldStaticPerimetryMeasurementsSt.\t1.2.840.10008.5.1.4.1.1.80.1\tsop\t
DRAFT_SRTextStorage\t1.2.840.10008.5.1.4.1.1.88.1\tsop\t
DRAFT_SRAudioStorage\t1.2.840.10008.5.1.4.1.1.88.2\tsop\t
DRAFT_SRDetailStorage\t1.2.840.10008.5.1.4.1.1.88.3\tsop\t
DRAFT_SRComprehensiveStorage\t1.2.840.10008.5.1.4.1.1.88.4\tsop\t
BasicTextSRStorage\t1.2.840.10008.5.1.4.1.1.88.11\tsop\t
EnhancedSRStorage\t1.2.840.10008.5.1.4.1.1.88.22\tsop\t
ComprehensiveSRStorage\t1.2.840.10008.5.1.4.1.1.88.33\tsop\t
ProcedureLogStorage\t1.2.840.10008.5.1.4.1.1.88.40\tsop\t
MammographyCADSRStorage\t1.2.840.10008.5.1.4.1.1.88.50\tsop\t
KeyObjectSelectionDocumentStorage\t1.2.840.10008.5.1.4.1.1.88.59\tsop\t
ChestCADSRStorage\t1.2.840.10008.5.1.4.1.1.88.65\tsop\t

XRayRadiationDoseSRStorage\t1.2.840.10008.5.1.4.1.1.88.67\tsop
ColonCADSRStorage\t1.2.840.10008.5.1.4.1.1.88.69\tsop
ImplantationPlanSRDocumentStorage\t1.2.840.10008.5.1.4.1.1.88.70\tsop
EncapsulatedPDFStorage\t1.2.840.10008.5.1.4.1.1.104.1\tsop
EncapsulatedCDASStorage\t1.2.840.10008.5.1.4.1.1.104.2\tsop
PositronEmissionTomographyImageStorage\t1.2.840.10008.5.1.4.1.1.128\tsop
RETIRED_StandalonePETCurveStorage\t1.2.840.10008.5.1.4.1.1.129\tsop
EnhancedPETImageStorage\t1.2.840.10008.5.1.4.1.1.130\tsop
BasicStructuredDisplayStorage\t1.2.840.10008.5.1.4.1.1.131\tsop
RTImageStorage\t1.2.840.10008.5.1.4.1.1.481.1\tsop
RTDoseStorage\t1.2.840.10008.5.1.4.1.1.481.2\tsop
RTStructureSetStorage\t1.2.840.10008.5.1.4.1.1.481.3\tsop
RTBeamsTreatmentRecordStorage\t1.2.840.10008.5.1.4.1.1.481.4\tsop
RTPlanStorage\t1.2.840.10008.5.1.4.1.1.481.5\tsop
RTBrachyTreatmentRecordStorage\t1.2.840.10008.5.1.4.1.1.481.6\tsop
RTTreatmentSummaryRecordStorage\t1.2.840.10008.5.1.4.1.1.481.7\tsop
RTIonPlanStorage\t1.2.840.10008.5.1.4.1.1.481.8\tsop
RTIonBeamsTreatmentRecordStorage\t1.2.840.10008.5.1.4.1.1.481.9\tsop
DRAFT_RTBeamsDeliveryInstructionStorage\t1.2.840.10008.5.1.4.34.1\tsop
GenericImplantTemplateStorage\t1.2.840.10008.5.1.4.43.1\tsop
ImplantAssemblyTemplateStorage\t1.2.840.10008.5.1.4.44.1\tsop
ImplantTemplateGroupStorage\t1.2.840.10008.5.1.4.45.1\tsop
#GEMRStorage\t1.2.840.113619.4.2\tsop
#GECTStorage\t1.2.840.113619.4.3\tsop
GE3DModelObjectStorage\t1.2.840.113619.4.26\tsop
GERTPlanStorage\t1.2.840.113619.5.249\tsop
GERTPlanStorage2\t1.2.840.113619.4.5.249\tsop
GESaturnTDSObjectStorage\t1.2.840.113619.5.253\tsop
Philips3DVOLUMEStorage\t1.2.46.670589.5.0.1\tsop
Philips3DObjectStorage\t1.2.46.670589.5.0.2\tsop
PhilipsSurfaceStorage\t1.2.46.670589.5.0.3\tsop
PhilipsCompositeObjectStorage\t1.2.46.670589.5.0.4\tsop
PhilipsMRCardioProfileStorage\t1.2.46.670589.5.0.7\tsop
PhilipsMRCardioImageStorage\t1.2.46.670589.5.0.8\tsop
PatientRootQuery\t1.2.840.10008.5.1.4.1.2.1.1\tsop
PatientRootRetrieve\t1.2.840.10008.5.1.4.1.2.1.2\tsop
PatientRootGet\t1.2.840.10008.5.1.4.1.2.1.3\tsop
StudyRootQuery\t1.2.840.10008.5.1.4.1.2.2.1\tsop
StudyRootRetrieve\t1.2.840.10008.5.1.4.1.2.2.2\tsop
StudyRootGet\t1.2.840.10008.5.1.4.1.2.2.3\tsop
PatientStudyOnlyQuery\t1.2.840.10008.5.1.4.1.2.3.1\tsop
PatientStudyOnlyRetrieve\t1.2.840.10008.5.1.4.1.2.3.2\tsop
PatientStudyOnlyGet\t1.2.840.10008.5.1.4.1.2.3.3\tsop
FindModalityWorkList\t1.2.840.10008.5.1.4.31\tsop
PatientRootRetrieveNKI\t1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.1.2\tsop
StudyRootRetrieveNKI\t1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.2.2\tsop
PatientStudyOnlyRetrieveNKI\t1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.3.2\tsop
BasicGrayscalePrintManagementMeta\t1.2.840.10008.5.1.1.9\tsop
BasicColorPrintManagementMeta\t1.2.840.10008.5.1.1.18\tsop
BasicFilmSession\t1.2.840.10008.5.1.1.1\tsop
BasicFilmBox\t1.2.840.10008.5.1.1.2\tsop
BasicGrayscaleImageBox\t1.2.840.10008.5.1.1.4\tsop
BasicColorImageBox\t1.2.840.10008.5.1.1.4.1\tsop
BasicPrinter\t1.2.840.10008.5.1.1.16\tsop
LittleEndianImplicit\t1.2.840.10008.1.2\ttransfer
#LittleEndianExplicit\t1.2.840.10008.1.2.1\ttransfer
#BigEndianExplicit\t1.2.840.10008.1.2.2\ttransfer
#JPEGBaseline1\t1.2.840.10008.1.2.4.50\ttransfer LittleEndianExplicit
#JPEGExtended2and4\t1.2.840.10008.1.2.4.51\ttransfer LittleEndianExplicit
#JPEGExtended3and5\t1.2.840.10008.1.2.4.52\ttransfer LittleEndianExplicit
#JPEGsSpectralNH6and8\t1.2.840.10008.1.2.4.53\ttransfer LittleEndianExplicit
#JPEGsSpectralNH7and9\t1.2.840.10008.1.2.4.54\ttransfer LittleEndianExplicit
#JPEGFull1NH10and12\t1.2.840.10008.1.2.4.55\ttransfer LittleEndianExplicit
#JPEGFull1NH11and13\t1.2.840.10008.1.2.4.56\ttransfer LittleEndianExplicit
#JPEGLosslessNH14\t1.2.840.10008.1.2.4.57\ttransfer LittleEndianExplicit
#JPEGLosslessNH15\t1.2.840.10008.1.2.4.58\ttransfer LittleEndianExplicit
#JPEGExtended16and18\t1.2.840.10008.1.2.4.59\ttransfer LittleEndianExplicit
#JPEGExtended17and19\t1.2.840.10008.1.2.4.60\ttransfer LittleEndianExplicit
#JPEGsSpectral20and22\t1.2.840.10008.1.2.4.61\ttransfer LittleEndianExplicit
#JPEGsSpectral21and23\t1.2.840.10008.1.2.4.62\ttransfer LittleEndianExplicit
#JPEGFull124and26\t1.2.840.10008.1.2.4.63\ttransfer LittleEndianExplicit
#JPEGFull125and27\t1.2.840.10008.1.2.4.64\ttransfer LittleEndianExplicit
#JPEGLossless28\t1.2.840.10008.1.2.4.65\ttransfer LittleEndianExplicit
#JPEGLossless29\t1.2.840.10008.1.2.4.66\ttransfer LittleEndianExplicit
#JPEGLossless\t1.2.840.10008.1.2.4.70\ttransfer LittleEndianExplicit
#JPEGLS_Lossless\t1.2.840.10008.1.2.4.80\ttransfer LittleEndianExplicit
#JPEGLS_Lossy\t1.2.840.10008.1.2.4.81\ttransfer LittleEndianExplicit
#RLELossless\t1.2.840.10008.1.2.5\ttransfer LittleEndianExplicit
#LittleEndianExplicitDeflated\t1.2.840.10008.1.2.1.99\ttransfer LittleEndianExplicit
#JPEG2000LosslessOnly\t1.2.840.10008.1.2.4.90\ttransfer LittleEndianExplicit
#JPEG2000\t1.2.840.10008.1.2.4.91\ttransfer LittleEndianExplicit
`;

const CT = '1.2.840.10008.5.1.4.1.1.2';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

test("the manual's dgatesop.lst: what it accepts", () => {
  const list = DgatesopList.parse(MANUAL_DGATESOP);
  assert.equal(list.toString(), MANUAL_DGATESOP);
  const sops = list.abstractSyntaxes();
  assert.equal(list.entries('sop').length, 151); // 153 rows, GEMRStorage and GECTStorage disabled
  assert.equal(sops.get(CT), 'CTImageStorage');
  assert.equal(sops.get('1.2.840.10008.1.1'), 'Verification');
  assert.equal(sops.get('1.2.840.10008.5.1.4.31'), 'FindModalityWorkList');
  assert.equal(sops.get('1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.1.2'), 'PatientRootRetrieveNKI');
  assert.equal(list.acceptsAbstractSyntax(CT), true);
  // '#' lines are disabled: not accepted, but visible as such.
  assert.equal(list.acceptsAbstractSyntax('1.2.840.113619.4.2'), false);
  assert.deepEqual(
    list.disabledEntries('sop').map((e) => e.name),
    ['GEMRStorage', 'GECTStorage'],
  );
  // Only Implicit VR Little Endian is enabled in the manual's copy; the rest is shipped disabled.
  assert.deepEqual(list.transferSyntaxes(), [{ uid: IMPLICIT, name: 'LittleEndianImplicit' }]);
  assert.equal(list.acceptsTransferSyntax(IMPLICIT), true);
  assert.equal(list.acceptsTransferSyntax(EXPLICIT), false);
  assert.equal(list.disabledEntries('transfer').length, 26);
  assert.deepEqual(list.disabledEntries('transfer')[3]!.extra, ['LittleEndianExplicit']);
  // The header's RemoteAE, LocalAE and application lines are comments: no restriction.
  assert.deepEqual(list.localAEs(), []);
  assert.deepEqual(list.remoteAEs(), []);
  assert.deepEqual(list.applicationContexts(), []);
  assert.equal(list.acceptsCallingAE('ANYONE'), true);
  assert.equal(list.acceptsApplicationContext('1.2.840.10008.3.1.1.1'), true);
  // The doubled 'sop sop' the manual prints on some rows is an extra column, ignored like Conquest does.
  assert.deepEqual(list.entries('sop').find((e) => e.name === 'EnhancedCTImageStorage')!.extra, ['sop']);
});

test('RemoteAE and LocalAE restrict the AE titles, case-sensitively; abstract is a synonym of sop', () => {
  const list = DgatesopList.parse(
    [
      'Me          CONQUESTSRV1         LocalAE',
      'Modality1   CT_SCANNER           RemoteAE',
      'Viewer      VIEWER               remoteae',
      'DICOM       1.2.840.10008.3.1.1.1 Application',
      'CT          1.2.840.10008.5.1.4.1.1.2 abstract',
      'Explicit    1.2.840.10008.1.2.1  transfer',
      'Implicit    1.2.840.10008.1.2    TRANSFER',
      '',
    ].join('\n'),
  );
  assert.deepEqual(list.localAEs(), ['CONQUESTSRV1']);
  assert.deepEqual(list.remoteAEs(), ['CT_SCANNER', 'VIEWER']);
  assert.equal(list.acceptsCallingAE('CT_SCANNER      '), true); // AE titles arrive space-padded
  assert.equal(list.acceptsCallingAE('ct_scanner'), false);
  assert.equal(list.acceptsCallingAE('OTHER'), false);
  assert.equal(list.acceptsCalledAE('CONQUESTSRV1'), true);
  assert.equal(list.acceptsCalledAE('CONQUESTSRV2'), false);
  assert.equal(list.acceptsAbstractSyntax(`${CT}\0`), true);
  assert.equal(list.acceptsAbstractSyntax('1.2.840.10008.5.1.4.1.1.4'), false);
  assert.equal(list.acceptsApplicationContext('1.2.840.10008.3.1.1.1'), true);
  assert.equal(list.acceptsApplicationContext('1.2.3'), false);
  // Transfer syntaxes in order of preference: the order of the lines.
  assert.deepEqual(
    list.transferSyntaxes().map((t) => t.uid),
    [EXPLICIT, IMPLICIT],
  );
  assert.equal(list.get('sop', 0)!.kindText, 'abstract');
});

test('the default dgatesop.lst', () => {
  const list = defaultDgatesopList();
  const text = defaultDgatesopText();
  assert.equal(list.toString(), text);
  assert.ok(text.startsWith('#\n# DICOM Application / sop / transfer UID list.\n'));
  assert.match(
    text,
    /\n#None\t+none\t+RemoteAE\n#None\t+none\t+LocalAE\n#DICOM\t+1\.2\.840\.10008\.3\.1\.1\.1\t+application\n/,
  );
  const sops = list.abstractSyntaxes();
  assert.equal(sops.get(CT), 'CTImageStorage');
  assert.match(text, /\nCTImageStorage {39}1\.2\.840\.10008\.5\.1\.4\.1\.1\.2\t\tsop\n/);
  assert.equal(list.entries('sop')[0]!.name, 'Verification');
  // Every storage SOP class of the standard is accepted (DICOMDIR's exists on media only).
  for (const u of storageSopClasses())
    if (u.uid !== '1.2.840.10008.1.3.10') assert.ok(sops.has(u.uid), `${u.keyword} ${u.uid}`);
  assert.equal(sops.has('1.2.840.10008.1.3.10'), false);
  // Classes newer than Conquest get their PS3.6 keyword; the manual's misprinted UIDs are corrected.
  assert.equal(sops.get('1.2.840.10008.5.1.4.1.1.2.2'), 'LegacyConvertedEnhancedCTImageStorage');
  assert.equal(sops.get('1.2.840.10008.5.1.1.27'), 'RETIRED_StoredPrintStorage');
  assert.equal(sops.has('1.2.840.10008.5.1.1.1.27'), false);
  assert.equal(sops.get('1.2.840.10008.5.1.4.1.1.6'), 'RETIRED_UltrasoundImageStorage');
  // Queries, retrieves, worklist, NKI's private retrieves and printing.
  for (const [uid, name] of [
    ['1.2.840.10008.5.1.4.1.2.1.1', 'PatientRootQuery'],
    ['1.2.840.10008.5.1.4.1.2.2.2', 'StudyRootRetrieve'],
    ['1.2.840.10008.5.1.4.1.2.3.3', 'PatientStudyOnlyGet'],
    ['1.2.840.10008.5.1.4.31', 'FindModalityWorkList'],
    ['1.2.826.0.1.3680043.2.135.1066.5.1.4.1.2.2.2', 'StudyRootRetrieveNKI'],
    ['1.2.840.10008.5.1.1.9', 'BasicGrayscalePrintManagementMeta'],
    ['1.2.840.10008.5.1.1.18', 'BasicColorPrintManagementMeta'],
    ['1.2.840.10008.5.1.1.16', 'BasicPrinter'],
  ])
    assert.equal(sops.get(uid!), name);
  // GEMRStorage and GECTStorage stay disabled, as Conquest ships them.
  assert.equal(list.acceptsAbstractSyntax('1.2.840.113619.4.2'), false);
  assert.equal(list.acceptsAbstractSyntax('1.2.840.113619.4.3'), false);
  assert.match(text, /\n#GEMRStorage {41}1\.2\.840\.113619\.4\.2\t\tsop\n/);
  assert.equal(sops.get('1.2.46.670589.5.0.1'), 'Philips3DVOLUMEStorage');
  // Transfer syntaxes: Implicit first, then Explicit LE, Explicit BE and the JPEG family, in Conquest's order;
  // RLE and Deflated are enabled too (Conquest ships them disabled; we store them as received).
  assert.deepEqual(
    list.transferSyntaxes().map((t) => t.name),
    [
      'LittleEndianImplicit',
      'LittleEndianExplicit',
      'BigEndianExplicit',
      'JPEGBaseline1',
      'JPEGExtended2and4',
      'JPEGsSpectralNH6and8',
      'JPEGFull1NH10and12',
      'JPEGLosslessNH14',
      'JPEGLossless',
      'JPEGLS_Lossless',
      'JPEGLS_Lossy',
      'RLELossless',
      'LittleEndianExplicitDeflated',
      'JPEG2000LosslessOnly',
      'JPEG2000',
    ],
  );
  assert.deepEqual(new Set(list.transferSyntaxes().map((t) => t.uid)), CONQUEST_ENABLED_TRANSFER_SYNTAXES);
  assert.deepEqual(
    list.disabledEntries('transfer').map((t) => t.name),
    [
      'JPEGExtended3and5',
      'JPEGsSpectralNH7and9',
      'JPEGFull1NH11and13',
      'JPEGLosslessNH15',
      'JPEGExtended16and18',
      'JPEGExtended17and19',
      'JPEGsSpectral20and22',
      'JPEGsSpectral21and23',
      'JPEGFull124and26',
      'JPEGFull125and27',
      'JPEGLossless28',
      'JPEGLossless29',
    ],
  );
  assert.equal(list.acceptsTransferSyntax('1.2.840.10008.1.2.5'), true);
  assert.match(text, /\nLittleEndianImplicit {33}1\.2\.840\.10008\.1\.2\ttransfer\n/);
  assert.match(text, /\nJPEGBaseline1 {40}1\.2\.840\.10008\.1\.2\.4\.50\ttransfer\tLittleEndianExplicit\n/);
  // Every line fits Conquest's reader: names in 63 characters, lines in 255.
  for (const e of [...list.entries(), ...list.disabledEntries()]) assert.ok(e.name.length <= 63, e.name);
  for (const l of text.split('\n')) assert.ok(l.length < 255);
  assert.deepEqual(list.warnings, []);
});

test('put and delete per kind rewrite only their lines', () => {
  const list = DgatesopList.parse(MANUAL_DGATESOP);
  const before = MANUAL_DGATESOP.split('\n');
  // Replace transfer 0 (--put_transfer:0,UID,name)
  list.put('transfer', 0, EXPLICIT, 'LittleEndianExplicit');
  let after = list.toString().split('\n');
  const n = lineOf(MANUAL_DGATESOP, 'LittleEndianImplicit');
  assert.deepEqual(
    after.flatMap((l, i) => (l === before[i] ? [] : [i + 1])),
    [n],
  );
  assert.equal(
    after[n - 1],
    'LittleEndianExplicit                                 1.2.840.10008.1.2.1\ttransfer',
  );
  // A new transfer syntax goes after the last enabled transfer line.
  list.put('transfer', 1, IMPLICIT, 'LittleEndianImplicit');
  after = list.toString().split('\n');
  assert.equal(after[n], 'LittleEndianImplicit                                 1.2.840.10008.1.2\ttransfer');
  assert.deepEqual(
    list.transferSyntaxes().map((t) => t.uid),
    [EXPLICIT, IMPLICIT],
  );
  // A first RemoteAE line goes after the last entry.
  list.put('remoteae', 0, 'CT_SCANNER', 'Scanner');
  assert.deepEqual(list.remoteAEs(), ['CT_SCANNER']);
  assert.equal(list.get('remoteae', 0)!.line, n + 2);
  assert.match(list.toString(), /\nScanner {46}CT_SCANNER\t\tRemoteAE\n/);
  // Deleting (--delete_sop:index) removes one line.
  const sopCount = list.entries('sop').length;
  assert.equal(list.get('sop', 11)!.name, 'CTImageStorage');
  assert.equal(list.delete('sop', 11), true);
  assert.equal(list.entries('sop').length, sopCount - 1);
  assert.equal(list.acceptsAbstractSyntax(CT), false);
  assert.equal(list.delete('localae', 0), false);
  assert.equal(list.toString().split('\n').length, before.length + 1);
  assert.throws(() => list.put('sop', 0, 'not-a-uid', 'X'), ConfigError);
  assert.throws(() => list.put('sop', 0, CT, 'two words'), ConfigError);
});

test('malformed lines are ConfigErrors naming the file and line', () => {
  const bad = (text: string, line: number, what: RegExp) =>
    assert.throws(
      () => DgatesopList.parse(text, '/srv/pacs/dgatesop.lst'),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.file === '/srv/pacs/dgatesop.lst' &&
        e.line === line &&
        what.test(e.message),
    );
  bad('# header\nCTImageStorage 1.2.840.10008.5.1.4.1.1.2\n', 2, /found only 2 columns/);
  bad('\n\nCTImageStorage 1.2.840.10008.5.1.4.1.1.2 storage\n', 3, /unknown kind 'storage'/);
  bad('CTImageStorage 1.2.840.10008.5.1.4.1.1.2x sop\n', 1, /not a valid UID/);
  // A '#' line is a comment whatever it holds.
  assert.equal(DgatesopList.parse('# anything at all\n#X 1.2 nonsense\n').entries().length, 0);
});

test('count and replaceWith: a re-read into the same object', () => {
  const held = DgatesopList.parse('Verification 1.2.840.10008.1.1 sop\nA 1.2.840.10008.1.2 transfer\n');
  assert.equal(held.count('transfer'), 1);
  assert.equal(held.count('localae'), 0);
  const disk = DgatesopList.parse('X 1.2.3 sop\nY 1.2.4 sop\nB 1.2.840.10008.1.2.1 transfer\n');
  held.replaceWith(disk);
  assert.equal(held.count('sop'), 2);
  assert.ok(held.acceptsTransferSyntax('1.2.840.10008.1.2.1'));
  assert.ok(!held.acceptsTransferSyntax('1.2.840.10008.1.2'));
  held.delete('sop', 0);
  assert.equal(disk.count('sop'), 2, 'the other list is not changed by later edits');
});
