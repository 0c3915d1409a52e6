"""Beat-synced slideshows: a timeline plan (plan), the photos it shows (photos), their pictures
frame by frame (frames), the soundtrack (soundtrack) and the MP4 that holds both (video).
"""
