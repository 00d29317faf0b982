import QtQuick
import Atelier

// A gallery cell's picture: the whole image at its own aspect ratio (never squashed or cut),
// on a tile that shows the selection.
Rectangle {
    id: tile
    property string path
    property bool selected
    readonly property Image image: picture

    color: selected ? "#7e57c2" : Qt.rgba(1, 1, 1, 0.06)
    radius: 4
    Image {
        id: picture
        objectName: "thumbnail"
        anchors.fill: parent
        anchors.margins: 3
        source: tile.path === "" ? "" : Thumbnails.url(tile.path)
        sourceSize: Qt.size(256, 256)
        fillMode: Image.PreserveAspectFit
    }
}
