"""Import a saved ParaView state (``.pvsm``) as a moviec scene."""
